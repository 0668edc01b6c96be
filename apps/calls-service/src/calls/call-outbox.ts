import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isTerminal } from '../call-model/call-status';
import { crashPoint } from '../common/test-crash';
import { GroupInsert } from '../database/group-insert';
import { CallLockService } from './call-lock.service';
import { toCallDto } from './call.mapper';
import { CallRecord, PendingCallEvent } from './schemas/call.schema';
import { markId, OutboxMark } from './schemas/outbox-mark.schema';
import { CallRepository } from './call.repository';

/** The fields of a call whose change is an event; the rest (updatedAt, the outbox itself) follow from them. */
const EVENT_FIELDS = [
  'providerCallId',
  'status',
  'contactId',
  'conversationId',
  'providerPhoneNumber',
  'answerTime',
  'endTime',
  'duration',
  'endReason',
  'cost',
  'recordings',
  'outcomeId',
  'notes',
  'tags',
] as const;

/** A mark whose call does not exist is kept this long: the call's insert follows its mark within moments. */
const ORPHAN_MARK_MS = 5 * 60_000;
/**
 * A mark whose call exists but lacks its event is looked at (under the call's lock) only after this long: until
 * then its writer is most likely between the mark and the call's write.
 */
const UNWRITTEN_MARK_MS = 10_000;

/** A mark as the relay reads it: of one event (`seq`), or of a whole call's events not `marked` (`legacy`). */
export interface MarkOf {
  id: string | Types.ObjectId;
  callId: Types.ObjectId;
  seq: number | null;
  markedAt: Date;
}

/** A call's outbox as the relay reads it. */
export type OutboxOf = Pick<CallRecord, '_id' | 'organizationId' | 'pendingEvents'>;

/** Whoever moves the outboxes' events on (the events module): told after a call's change is stored. */
export type CallWrittenListener = (organizationId: string, callId: Types.ObjectId) => void;

/** The type of the event a change makes: from nothing to a call, or from `before` to `after`. */
export function eventTypeOf(before: CallRecord | null, after: CallRecord, changes: string[]): string {
  if (!before) return 'call.initiated';
  if (before.status !== after.status) {
    if (after.status === 'ringing') return 'call.ringing';
    if (after.status === 'in-progress') return 'call.answered';
    if (isTerminal(after.status)) return 'call.ended';
  }
  return changes.includes('recordings') ? 'call.recording.added' : 'call.updated';
}

/** The fields whose stored value differs between `before` and `after`. */
export function changedFields(before: CallRecord, after: CallRecord): string[] {
  // Calls recorded before a field existed lack it: absent is the field's empty value, not a change.
  const stored = (call: CallRecord, field: (typeof EVENT_FIELDS)[number]) => JSON.stringify(call[field] ?? (field === 'tags' ? [] : null));
  return EVENT_FIELDS.filter((field) => stored(before, field) !== stored(after, field));
}

/** The event of the change from `before` (null: the call is new) to `after`, the call's next in its order. */
export function pendingEventFor(before: CallRecord | null, after: CallRecord, changes: string[], now: Date): PendingCallEvent {
  const seq = (before?.eventSeq ?? 0) + 1;
  return {
    seq,
    type: eventTypeOf(before, after, changes),
    createdAt: now,
    changes,
    // The call as stored with this event, whose version is the event's number in the call's order.
    call: JSON.stringify(toCallDto({ ...after, eventSeq: seq })),
    marked: true,
  };
}

/**
 * The calls' side of the event outbox: the marks that say which calls may have events waiting, and taking
 * relayed events out of a call. The events module relays; the calls module only tells it that a call was
 * written (it never imports the events module).
 */
@Injectable()
export class CallOutbox {
  private readonly logger = new Logger(CallOutbox.name);
  private readonly listeners: CallWrittenListener[] = [];
  /** Concurrent requests' marks, stored in one insert: a request's fifth database operation, shared. */
  private readonly markInserts: GroupInsert<OutboxMark>;

  constructor(
    @InjectModel(OutboxMark.name) private readonly marks: Model<OutboxMark>,
    private readonly calls: CallRepository,
    private readonly callLocks: CallLockService,
  ) {
    this.markInserts = new GroupInsert<OutboxMark>(this.marks.collection, () => crashPoint('after-mark-batch'));
  }

  onWritten(listener: CallWrittenListener): void {
    this.listeners.push(listener);
  }

  /**
   * Before a call's write that carries its event `seq` (under the call's lock, for a call that exists). A mark
   * already there is fine. Resolves once the mark is stored: concurrent requests' marks go in one insert, and
   * each request writes its call only after that insert answered for its mark.
   */
  mark(call: Pick<CallRecord, '_id' | 'organizationId'>, seq: number): Promise<void> {
    return this.markInserts.insert({ _id: markId(call._id, seq), organizationId: call.organizationId, callId: call._id, seq, markedAt: new Date() });
  }

  /**
   * The call's outbox without the events already in the feed, or null when there is none to drop: a `marked`
   * event whose mark is gone was relayed (the relay deletes a mark only after storing its event). For the call's
   * writer, under the call's lock, which writes the outbox so with its change. One lookup of the marks.
   */
  async unrelayed(call: CallRecord): Promise<PendingCallEvent[] | null> {
    const marked = (call.pendingEvents ?? []).filter((event) => event.marked);
    if (marked.length === 0) return null;
    const found = await this.marks.collection
      .find({ _id: { $in: marked.map((event) => markId(call._id, event.seq)) } as never, organizationId: call.organizationId }, { projection: { _id: 1 } })
      .toArray();
    const waiting = new Set(found.map((mark) => String(mark._id)));
    const kept = (call.pendingEvents ?? []).filter((event) => !event.marked || waiting.has(markId(call._id, event.seq)));
    return kept.length < (call.pendingEvents ?? []).length ? kept : null;
  }

  /**
   * After the write is stored and the call's lock released: the listeners relay it (never waited for).
   * @param requestId the request that wrote the call, if any, for the warning below.
   */
  written(call: Pick<CallRecord, '_id' | 'organizationId'>, requestId: string | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(call.organizationId.toHexString(), call._id);
      } catch (error) {
        this.logger.warn({ requestId }, `Could not hand call ${call._id.toHexString()} to the relay: ${String(error)}`);
      }
    }
  }

  /** The organizations of up to `limit` marks: where events may be waiting. */
  async markedOrganizations(limit: number): Promise<string[]> {
    const found = await this.marks.collection.find({}, { projection: { organizationId: 1 } }).limit(limit).toArray();
    return [...new Set(found.map((mark) => (mark.organizationId as Types.ObjectId).toHexString()))];
  }

  /**
   * Up to `limit` marks of the organization, in `_id` order: by call, and a call's in its order, so a call's
   * marks read are the first of its marks (a whole call's mark, an ObjectId, sorts after them).
   */
  async marksOf(organizationId: string, limit: number): Promise<MarkOf[]> {
    const found = (await this.marks.collection
      .find({ organizationId: new Types.ObjectId(organizationId) })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray()) as unknown as OutboxMark[];
    return found.map((mark) =>
      typeof mark._id === 'string'
        ? { id: mark._id, callId: mark.callId as Types.ObjectId, seq: mark.seq as number, markedAt: mark.markedAt }
        : { id: mark._id, callId: mark._id, seq: null, markedAt: mark.markedAt },
    );
  }

  /** The calls' outboxes, in one query (on MongoDB an index lookup; on FerretDB one scan, not one per call). */
  outboxesOf(callIds: Types.ObjectId[]): Promise<OutboxOf[]> {
    return this.calls.outboxesOf(callIds);
  }

  /** Deletes the marks of events now in the feed (and whole calls' marks with nothing left), in one operation. */
  async forget(ids: (string | Types.ObjectId)[]): Promise<void> {
    if (ids.length > 0) await this.marks.collection.deleteMany({ _id: { $in: ids } as never });
  }

  /**
   * A mark whose event is not in its call: its writer died (or missed) between the mark and the call's write.
   * Deleted under the call's lock, after reading the call again: then no writer is between the two. A call's
   * next writer reuses the number, and finds its mark there already, so deleting it is only tidying up.
   */
  async discardUnwritten(mark: MarkOf, call: OutboxOf | undefined): Promise<void> {
    const age = Date.now() - mark.markedAt.getTime();
    if (!call) {
      // The call of an initiate that died before its insert, or one whose insert is a moment away.
      if (age > ORPHAN_MARK_MS) await this.marks.collection.deleteOne({ _id: mark.id as never, markedAt: { $lt: new Date(Date.now() - ORPHAN_MARK_MS) } });
      return;
    }
    if (age < UNWRITTEN_MARK_MS || mark.seq === null) return;
    await this.callLocks.withLock(mark.callId, async () => {
      const current = (await this.calls.outboxesOf([mark.callId]))[0];
      if (current && !(current.pendingEvents ?? []).some((event) => event.seq === mark.seq)) await this.marks.collection.deleteOne({ _id: mark.id as never });
    });
  }

  /**
   * For a call marked before marks per event: takes its events without `marked` up to `relayedSeq` out of its
   * outbox, and deletes the call's mark when none is left. Under the call's lock: on FerretDB an update is a read
   * and a blind write, which would otherwise undo a change written meanwhile.
   */
  async settleUnmarked(callId: Types.ObjectId, relayedSeq: number): Promise<void> {
    await this.callLocks.withLock(callId, async () => {
      // Read again under the lock: a writer may have added events since the relay read the outbox.
      const call = (await this.calls.outboxesOf([callId]))[0];
      if (!call) return;
      const pending = call.pendingEvents ?? [];
      const left = pending.filter((event) => event.marked || event.seq > relayedSeq);
      if (left.length < pending.length) await this.calls.setPendingEvents(callId, left);
      if (!left.some((event) => !event.marked)) await this.marks.collection.deleteOne({ _id: callId });
    });
  }
}
