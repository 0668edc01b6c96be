import { ConflictException, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, UpdateQuery } from 'mongoose';
import { toCallDto } from './call.mapper';
import { PlannedChanges } from '../call-model/call-update';
import { ProviderCallIdService } from './provider-call-id.service';
import { Call, CallCost, CallRecord, Recording } from './schemas/call.schema';
import { ClaimSource } from './schemas/provider-call-id.schema';

/** What only a provider reports, beside the changes the update planner decides. */
export interface ProviderFacts {
  cost?: CallCost;
  recording?: Recording;
}

/**
 * The one way a call is changed after it is recorded, by the dialer's reports and the provider's events
 * alike. Callers hold the call's lock and plan the changes on the call as read.
 */
@Injectable()
export class CallWriter {
  constructor(
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly providerCallIds: ProviderCallIdService,
  ) {}

  /**
   * Writes the changes if the call is still as read; null when it is not. Claims a new providerCallId
   * first, for the dialer's report or for the provider's events (which only ever reach the call that holds
   * their id, or the call their signed ICE names).
   */
  async write(call: CallRecord, changes: PlannedChanges, facts: ProviderFacts = {}, source: ClaimSource = 'report'): Promise<CallRecord | null> {
    const { providerCallId } = changes;
    let claimed = false;
    if (providerCallId) {
      const outcome = await this.providerCallIds.claim(call.provider, providerCallId, call, source);
      // Another call of the organization is the caller's to see, so saying so reveals nothing.
      if (outcome === 'held-in-organization' || (outcome === 'held-elsewhere' && source !== 'report')) {
        throw callConflict(`providerCallId ${providerCallId} is already recorded for another call`, call);
      }
      // Held in another organization: a report is answered as if the id were free, so that no answer tells
      // whether another organization's call exists. The id is stored as reported, but without the claim the
      // provider's events keep going to the call that holds it.
      claimed = outcome === 'claimed';
    }
    const update: UpdateQuery<Call> = { $set: { ...changes, ...(facts.cost ? { cost: facts.cost } : {}) } };
    if (facts.recording) update.$push = { recordings: facts.recording };
    let updated: CallRecord | null = null;
    try {
      updated = await this.callModel.findOneAndUpdate(asRead(call), update, { returnDocument: 'after' }).lean<CallRecord>();
      return updated;
    } finally {
      if (providerCallId && claimed && !updated) await this.providerCallIds.release(call.provider, providerCallId, call._id);
    }
  }
}

/** The call exactly as read, in every field a report or an event can change: the condition of the write. */
function asRead(call: CallRecord): QueryFilter<Call> {
  return {
    _id: call._id,
    organizationId: call.organizationId,
    status: call.status,
    answerTime: call.answerTime,
    endTime: call.endTime,
    duration: call.duration,
    providerCallId: call.providerCallId,
    endReason: call.endReason ?? null,
    conversationId: call.conversationId,
    cost: call.cost ?? null,
    recordings: { $size: call.recordings.length },
  };
}

/** A 409 that carries the call as it is, so the client sees what its report conflicts with. */
export function callConflict(message: string, call: CallRecord): ConflictException {
  return new ConflictException({ message, call: toCallDto(call) });
}
