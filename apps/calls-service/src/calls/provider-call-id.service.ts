import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { Call, CallProvider } from './schemas/call.schema';
import { ClaimSource, ProviderCallId } from './schemas/provider-call-id.schema';

/** A claim whose call never took the id (its writer died between the two writes) is abandoned after this. */
const ABANDONED_AFTER_MS = 30_000;
const ATTEMPTS = 3;

const keyOf = (provider: CallProvider, providerCallId: string): string => `${provider}:${providerCallId}`;

/** How a claim went: the id is now this call's, or another call holds it, in this organization or another. */
export type ClaimOutcome = 'claimed' | 'held-in-organization' | 'held-elsewhere';

/** The call a claim is for. */
export interface Claimant {
  _id: Types.ObjectId;
  organizationId: Types.ObjectId;
}

/**
 * Keeps a provider's call id on at most one call, across all organizations, since the provider's ids
 * are global and its events must find exactly one call. The claim is written before the call, so a
 * crash in between leaves a claim without a call (which expires) rather than a call without a claim
 * (which would let a second call take the same id). The provider's signed ICE decides: its claim takes
 * the id from a call that only a report named, and no report takes an id from a call an ICE bound.
 */
@Injectable()
export class ProviderCallIdService {
  private readonly logger = new Logger(ProviderCallIdService.name);

  constructor(
    @InjectModel(ProviderCallId.name) private readonly claimModel: Model<ProviderCallId>,
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
  ) {}

  async claim(provider: CallProvider, providerCallId: string, call: Claimant, source: ClaimSource): Promise<ClaimOutcome> {
    const _id = keyOf(provider, providerCallId);
    let holder: ProviderCallId | null = null;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.claimModel.create({ _id, callId: call._id, organizationId: call.organizationId, source, createdAt: new Date() });
        return 'claimed';
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      holder = await this.claimModel.findById(_id).lean<ProviderCallId>();
      if (!holder) continue;
      if (holder.callId.equals(call._id)) return 'claimed';
      const yields = (source === 'ice' && holder.source !== 'ice') || (await this.isAbandoned(holder, provider, providerCallId));
      if (!yields) break;
      await this.claimModel.deleteOne({ _id, callId: holder.callId });
    }
    // Claims made before organizations were recorded are treated as another organization's: nothing is revealed.
    return holder?.organizationId?.equals(call.organizationId) ? 'held-in-organization' : 'held-elsewhere';
  }

  /** The call that holds the id, if any. */
  async holderOf(provider: CallProvider, providerCallId: string): Promise<Types.ObjectId | null> {
    const claim = await this.claimModel.findById(keyOf(provider, providerCallId)).lean<ProviderCallId>();
    return claim ? claim.callId : null;
  }

  /** Gives the id back when this call's update did not go through after all (and the call does not hold it). */
  async release(provider: CallProvider, providerCallId: string, callId: Types.ObjectId): Promise<void> {
    const _id = keyOf(provider, providerCallId);
    try {
      if (await this.callModel.exists({ _id: callId, provider, providerCallId })) return;
      await this.claimModel.deleteOne({ _id, callId });
    } catch (error) {
      // Left in place, the claim is abandoned and taken over after ABANDONED_AFTER_MS.
      this.logger.warn(`Could not release ${_id}: ${String(error)}`);
    }
  }

  private async isAbandoned(claim: ProviderCallId, provider: CallProvider, providerCallId: string): Promise<boolean> {
    if (Date.now() - claim.createdAt.getTime() < ABANDONED_AFTER_MS) return false;
    return !(await this.callModel.exists({ _id: claim.callId, provider, providerCallId }));
  }
}
