import { Types } from 'mongoose';
import { newCallToken } from './call-token';
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
  const startTime = fields.startTime ?? now;
  // A field given as undefined takes its default, as one left out does.
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as NewCallFields;
  return {
    providerCallId: null,
    callToken: newCallToken(),
    direction: 'outbound',
    status: 'initiated',
    conversationId: null,
    providerPhoneNumber: fields.from,
    answerTime: null,
    endTime: null,
    duration: null,
    endReason: null,
    cost: null,
    recordings: [],
    createdAt: startTime,
    updatedAt: startTime,
    ...given,
    _id: new Types.ObjectId(fields._id),
    organizationId: new Types.ObjectId(fields.organizationId),
    userId: new Types.ObjectId(fields.userId),
    contactId: fields.contactId ? new Types.ObjectId(fields.contactId) : null,
    startTime,
  };
}
