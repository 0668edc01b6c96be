import { Types } from 'mongoose';
import { newCallToken } from './call-token';
import { quarterHourOf, ringSecondsOf, tagKey } from '../call-model/call-wrap-up';
import type { CallRecord } from './schemas/call.schema';

// No Nest here, so that the tests' factories and the bench's seed (the built .js) can make records too.

type Id = Types.ObjectId | string;

/** What a new call must be given; everything else starts as a call just placed has it. */
export type NewCallFields = Pick<CallRecord, 'provider' | 'from' | 'to'> & {
  _id?: Id;
  organizationId: Id;
  userId: Id;
  contactId?: Id | null;
} & Partial<Omit<CallRecord, '_id' | 'organizationId' | 'userId' | 'contactId' | 'provider' | 'from' | 'to'>>;

/**
 * The one place a call record is made: the service's initiate, the tests' factories and the bench's
 * seed all build calls here, so the Call's shape is written once. A call starts `initiated`, placed now
 * from `from` (also the provider number), with a fresh call token and nothing known yet.
 */
export function newCallRecord(fields: NewCallFields, now: Date = new Date()): CallRecord {
  // A field given as undefined takes its default, as one left out does; one given as null stays null.
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<CallRecord>;
  const or = <K extends keyof CallRecord>(key: K, fallback: CallRecord[K]): CallRecord[K] => (key in given ? (given[key] as CallRecord[K]) : fallback);
  const startTime = or('startTime', now);
  const answerTime = or('answerTime', null);
  const tags = or('tags', []);
  // In the schema's field order, which is the order stored: the document's bytes are what mongoose wrote.
  return {
    _id: new Types.ObjectId(fields._id),
    organizationId: new Types.ObjectId(fields.organizationId),
    userId: new Types.ObjectId(fields.userId),
    provider: fields.provider,
    providerCallId: or('providerCallId', null),
    callToken: or('callToken', newCallToken()),
    direction: or('direction', 'outbound'),
    status: or('status', 'initiated'),
    from: fields.from,
    to: fields.to,
    contactId: fields.contactId ? new Types.ObjectId(fields.contactId) : null,
    conversationId: or('conversationId', null),
    providerPhoneNumber: or('providerPhoneNumber', fields.from),
    startTime,
    answerTime,
    endTime: or('endTime', null),
    duration: or('duration', null),
    endReason: or('endReason', null),
    cost: or('cost', null),
    recordings: or('recordings', []),
    outcomeId: or('outcomeId', null),
    notes: or('notes', null),
    tags,
    // Derived from the fields above, as the writer derives them when those change.
    ...statsFieldsOf({ startTime, answerTime, tags }),
    createdAt: or('createdAt', startTime),
    updatedAt: or('updatedAt', startTime),
  };
}

/** The fields the statistics group and sum by, derived from the call's own (see CallStatsBackfill for older calls). */
export function statsFieldsOf({ startTime, answerTime, tags }: Pick<CallRecord, 'startTime' | 'answerTime' | 'tags'>): Pick<CallRecord, 'tagKeys' | 'startQuarterHour' | 'ringSeconds'> {
  return {
    tagKeys: tags.map(tagKey),
    startQuarterHour: quarterHourOf(startTime),
    ringSeconds: answerTime ? ringSecondsOf(startTime, answerTime) : null,
  };
}
