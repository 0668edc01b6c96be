import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isTerminal } from '../call-model/call-status';
import { insertRawUnique } from '../database/unique-insert';
import { CallLockService } from './call-lock.service';
import { toCallDto } from './call.mapper';
import { CallRecord, PendingCallEvent } from './schemas/call.schema';
import { OutboxMark } from './schemas/outbox-mark.schema';
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

  constructor(
    @InjectModel(OutboxMark.name) private readonly marks: Model<OutboxMark>,
    private readonly calls: CallRepository,
    private readonly callLocks: CallLockService,
  ) {}

  onWritten(listener: CallWrittenListener): void {
    this.listeners.push(listener);
  }

  /** Before a call's write that carries an event (under the call's lock, for a call that exists). */
  async mark(call: Pick<CallRecord, '_id' | 'organizationId'>): Promise<void> {
    await insertRawUnique(this.marks.collection, { _id: call._id, organizationId: call.organizationId, markedAt: new Date() });
  }

  /** After the write is stored and the call's lock released: the listeners relay it (never waited for). */
  written(call: Pick<CallRecord, '_id' | 'organizationId'>): void {
    for (const listener of this.listeners) {
      try {
        listener(call.organizationId.toHexString(), call._id);
      } catch (error) {
        this.logger.warn(`Could not hand call ${call._id.toHexString()} to the relay: ${String(error)}`);
      }
    }
  }

  /** Up to `limit` marks, oldest first by id: the calls that may have events waiting. */
  async marked(limit: number): Promise<{ callId: Types.ObjectId; organizationId: string }[]> {
    const found = await this.marks.find({}).limit(limit).lean<OutboxMark[]>();
    return found.map((mark) => ({ callId: mark._id, organizationId: mark.organizationId.toHexString() }));
  }

  /** The call's organization and waiting events, oldest first; null when there is no such call. */
  async pendingOf(callId: Types.ObjectId): Promise<{ organizationId: string; events: PendingCallEvent[] } | null> {
    const call = await this.calls.outboxOf(callId);
    if (!call) return null;
    const events = [...(call.pendingEvents ?? [])].sort((a, b) => a.seq - b.seq);
    return { organizationId: call.organizationId.toHexString(), events };
  }

  /**
   * Takes the call's events up to `relayedSeq` out of its outbox, and deletes its mark when nothing is left
   * waiting. Under the call's lock: on FerretDB an update is a read and a blind write, which would otherwise
   * undo a change written meanwhile; and a writer marks the call under the same lock before writing.
   */
  async settle(callId: Types.ObjectId, relayedSeq: number): Promise<void> {
    await this.callLocks.withLock(callId, async () => {
      // Read again under the lock: a writer may have added events since the relay read the outbox.
      const call = await this.calls.outboxOf(callId);
      if (!call) {
        // The call of an initiate that died before its insert, or one whose insert is a moment away.
        await this.marks.collection.deleteOne({ _id: callId, markedAt: { $lt: new Date(Date.now() - ORPHAN_MARK_MS) } });
        return;
      }
      const pending = call.pendingEvents ?? [];
      const left = pending.filter((event) => event.seq > relayedSeq);
      if (left.length < pending.length) await this.calls.setPendingEvents(callId, left);
      if (left.length === 0) await this.marks.collection.deleteOne({ _id: callId });
    });
  }
}
