import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { Call, CallProvider } from './schemas/call.schema';
import { ProviderCallId } from './schemas/provider-call-id.schema';

/** A claim whose call never took the id (its writer died between the two writes) is abandoned after this. */
const ABANDONED_AFTER_MS = 30_000;
const ATTEMPTS = 3;

const keyOf = (provider: CallProvider, providerCallId: string): string => `${provider}:${providerCallId}`;

/**
 * Keeps a provider's call id on at most one call, across all organizations, since the provider's ids
 * are global and its events must find exactly one call. The claim is written before the call, so a
 * crash in between leaves a claim without a call (which expires) rather than a call without a claim
 * (which would let a second call take the same id).
 */
@Injectable()
export class ProviderCallIdService {
  private readonly logger = new Logger(ProviderCallIdService.name);

  constructor(
    @InjectModel(ProviderCallId.name) private readonly claimModel: Model<ProviderCallId>,
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
  ) {}

  /** True when the id is now this call's (or already was); false when another call holds it. */
  async claim(provider: CallProvider, providerCallId: string, callId: Types.ObjectId): Promise<boolean> {
    const _id = keyOf(provider, providerCallId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.claimModel.create({ _id, callId, createdAt: new Date() });
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const claim = await this.claimModel.findById(_id).lean<ProviderCallId>();
      if (!claim) continue;
      if (claim.callId.equals(callId)) return true;
      if (!(await this.isAbandoned(claim, provider, providerCallId))) return false;
      await this.claimModel.deleteOne({ _id, callId: claim.callId });
    }
    return false;
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
