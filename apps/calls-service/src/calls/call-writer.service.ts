import { Injectable } from '@nestjs/common';
import { UpdateQuery } from 'mongoose';
import { PlannedChanges } from '../call-model/call-update';
import { ringSecondsOf, tagKey } from '../call-model/call-wrap-up';
import { CallConflict, ProviderCallIdTaken } from './call-errors';
import { crashPoint } from '../common/test-crash';
import { CallOutbox, changedFields, pendingEventFor } from './call-outbox';
import { CallRepository } from './call.repository';
import { ProviderCallIdService } from './provider-call-id.service';
import { Call, CallCost, CallRecord, Recording } from './schemas/call.schema';
import { ClaimSource } from './schemas/provider-call-id.schema';

/** Under the call's lock a write can only miss if the lock was lost (a lease outlived); then it is re-planned a few times. */
const WRITE_ATTEMPTS = 3;

/** What only a provider reports, beside the changes the update planner decides. */
export interface ProviderFacts {
  cost?: CallCost;
  recording?: Recording;
}

/** What the agent records of a call, theirs to change at any status. */
export type WrapUpChanges = Partial<Pick<CallRecord, 'outcomeId' | 'notes' | 'tags'>>;

/** What to write on a call as read. */
export interface CallWrite {
  changes: PlannedChanges;
  facts?: ProviderFacts;
  wrapUp?: WrapUpChanges;
}

/**
 * The one way a call is changed after it is recorded, by the dialer's reports and the provider's events
 * alike: read the call, plan the change on it as read, write it only if the call is still so, and
 * start again when it was not. Callers hold the call's lock.
 */
@Injectable()
export class CallWriter {
  constructor(
    private readonly calls: CallRepository,
    private readonly providerCallIds: ProviderCallIdService,
    private readonly outbox: CallOutbox,
  ) {}

  /**
   * `read` gives the call (null: there is none, and nothing is written); `plan` says what to write on
   * it, null for nothing, or throws when the change is refused. Answers the call as written, or as read
   * when nothing changed; throws a CallConflict saying `keptChanging` when every attempt missed.
   */
  async update(
    read: () => Promise<CallRecord | null>,
    plan: (call: CallRecord) => CallWrite | null,
    source: ClaimSource,
    keptChanging: string,
    requestId: string | undefined,
  ): Promise<CallRecord | null> {
    for (let attempt = 1; ; attempt++) {
      const call = await read();
      if (!call) return null;
      const write = plan(call);
      if (!write) return call;
      const updated = await this.write(call, write, source, requestId);
      if (updated) return updated;
      if (attempt === WRITE_ATTEMPTS) throw new CallConflict(keptChanging, call);
    }
  }

  /**
   * Writes the change if the call is still as read; null when it is not. Claims a new providerCallId
   * first, for the dialer's report or for the provider's events (which only ever reach the call that holds
   * their id, or the call their signed ICE names).
   */
  private async write(
    call: CallRecord,
    { changes, facts = {}, wrapUp = {} }: CallWrite,
    source: ClaimSource,
    requestId: string | undefined,
  ): Promise<CallRecord | null> {
    const { providerCallId } = changes;
    let claimed = false;
    if (providerCallId) {
      // For a report, what the organization's own calls store decides the 409, never the global claim:
      // whether an id reported twice is refused must not depend on whether another organization holds it.
      if (source === 'report' && (await this.calls.storedOnAnotherCallOfOrganization(call, call.provider, providerCallId))) {
        throw new ProviderCallIdTaken(`providerCallId ${providerCallId} is already recorded for another call`, call);
      }
      const outcome = await this.providerCallIds.claim(call.provider, providerCallId, call, source);
      // Another call of the organization is the caller's to see, so saying so reveals nothing.
      if (outcome === 'held-in-organization' || (outcome === 'held-elsewhere' && source !== 'report')) {
        throw new ProviderCallIdTaken(`providerCallId ${providerCallId} is already recorded for another call`, call);
      }
      // Held in another organization: a report is answered as if the id were free, so that no answer tells
      // whether another organization's call exists. The id is stored as reported, but without the claim the
      // provider's events keep going to the call that holds it.
      claimed = outcome === 'claimed';
    }
    const now = new Date();
    const set: Partial<CallRecord> = { ...changes, ...wrapUp, ...(facts.cost ? { cost: facts.cost } : {}), updatedAt: now };
    // Derived fields the statistics group and sum by, written with what they derive from.
    if (wrapUp.tags) set.tagKeys = wrapUp.tags.map(tagKey);
    if (changes.answerTime) set.ringSeconds = ringSecondsOf(call.startTime, changes.answerTime);
    const update: UpdateQuery<Call> = { $set: set };
    const push: Record<string, unknown> = {};
    if (facts.recording) push.recordings = facts.recording;
    // The change's event goes into the call's outbox in the same single-document write as the change.
    const after: CallRecord = { ...call, ...set, recordings: facts.recording ? [...call.recordings, facts.recording] : call.recordings };
    const fields = changedFields(call, after);
    if (fields.length > 0) {
      const event = pendingEventFor(call, after, fields, now);
      set.eventSeq = event.seq;
      // The events the relay has moved to the feed stay in the outbox until the call's next write: this one.
      const unrelayed = await this.outbox.unrelayed(call);
      if (unrelayed) set.pendingEvents = [...unrelayed, event];
      else push.pendingEvents = event;
      // Marked first, so that the relay finds the event even if the process dies right after the write.
      await this.outbox.mark(call, event.seq);
      crashPoint('after-outbox-mark');
    }
    if (Object.keys(push).length > 0) update.$push = push;
    let updated: CallRecord | null = null;
    try {
      updated = await this.calls.writeIfUnchanged(call, update);
      if (updated && fields.length > 0) {
        crashPoint('after-call-write');
        this.outbox.written(updated, requestId);
      }
      return updated;
    } finally {
      if (providerCallId && claimed && !updated) await this.providerCallIds.release(call.provider, providerCallId, call._id, requestId);
    }
  }
}
