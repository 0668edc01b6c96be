import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Occasionally } from '../common/occasionally';
import { insertUnique } from '../database/unique-insert';
import { ProviderName } from '../call-model/call-event';
import { CallRepository } from './call.repository';
import { ClaimSource, ProviderCallId } from './schemas/provider-call-id.schema';

/** A claim whose call never took the id (its writer died between the two writes) is abandoned after this. */
const ABANDONED_AFTER_MS = 30_000;
const ATTEMPTS = 3;
/** The purge of abandoned claims runs at most this often per process, when an id is claimed. */
const PURGE_INTERVAL_MS = 10 * 60_000;
/** A process that just started also looks this far back, for claims a crashed predecessor left. */
const FIRST_LOOKBACK_MS = 60 * 60_000;
const PURGE_BATCH = 500;
const PURGE_BATCHES = 10;

const keyOf = (provider: ProviderName, providerCallId: string): string => `${provider}:${providerCallId}`;

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
  private readonly purge = new Occasionally(PURGE_INTERVAL_MS);
  /** Claims created before this were looked at by this process's earlier purges. */
  private purgedUpTo = new Date(Date.now() - FIRST_LOOKBACK_MS);

  constructor(
    @InjectModel(ProviderCallId.name) private readonly claimModel: Model<ProviderCallId>,
    private readonly calls: CallRepository,
  ) {}

  async claim(provider: ProviderName, providerCallId: string, call: Claimant, source: ClaimSource): Promise<ClaimOutcome> {
    this.purgeAbandoned();
    const _id = keyOf(provider, providerCallId);
    let holder: ProviderCallId | null = null;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await insertUnique(this.claimModel, { _id, callId: call._id, organizationId: call.organizationId, source, createdAt: new Date() })) return 'claimed';
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
  async holderOf(provider: ProviderName, providerCallId: string): Promise<Types.ObjectId | null> {
    const claim = await this.claimModel.findById(keyOf(provider, providerCallId)).lean<ProviderCallId>();
    return claim ? claim.callId : null;
  }

  /** Gives the id back when this call's update did not go through after all (and the call does not hold it). */
  async release(provider: ProviderName, providerCallId: string, callId: Types.ObjectId, requestId: string | undefined): Promise<void> {
    const _id = keyOf(provider, providerCallId);
    try {
      if (await this.calls.holds(callId, provider, providerCallId)) return;
      await this.claimModel.deleteOne({ _id, callId });
    } catch (error) {
      // Left in place, the claim is abandoned and taken over after ABANDONED_AFTER_MS.
      this.logger.warn({ requestId }, `Could not release ${_id}: ${String(error)}`);
    }
  }

  /**
   * Deletes claims whose call never took the id (their writer crashed between the two writes): such a
   * claim is taken over when the same id is claimed again, but otherwise would stay for ever. Each
   * process sweeps the claims made since its last sweep (and, once started, the hour before), so while
   * any replica runs every claim is looked at once it is old enough. Opportunistic and idempotent: the
   * delete names the claim's call, so replicas sweeping the same claims need no lease.
   */
  private purgeAbandoned(): void {
    const now = Date.now();
    if (!this.purge.due(now)) return;
    this.sweep(new Date(now - ABANDONED_AFTER_MS)).catch((error: unknown) => this.logger.warn(`Could not purge abandoned provider call ids: ${String(error)}`));
  }

  private async sweep(until: Date): Promise<void> {
    for (let batch = 0; batch < PURGE_BATCHES; batch++) {
      const claims = await this.claimModel
        .find({ createdAt: { $gte: this.purgedUpTo, $lt: until } })
        .sort({ createdAt: 1 })
        .limit(PURGE_BATCH)
        .lean<ProviderCallId[]>();
      const holders = await this.calls.providerCallIdsOf(claims.map((claim) => claim.callId));
      const held = new Set(holders.map((call) => `${call._id.toHexString()} ${keyOf(call.provider, call.providerCallId ?? '')}`));
      for (const claim of claims) {
        if (!held.has(`${claim.callId.toHexString()} ${claim._id}`)) await this.claimModel.deleteOne({ _id: claim._id, callId: claim.callId });
      }
      if (claims.length < PURGE_BATCH) {
        this.purgedUpTo = until;
        return;
      }
      this.purgedUpTo = claims[claims.length - 1].createdAt;
    }
  }

  private async isAbandoned(claim: ProviderCallId, provider: ProviderName, providerCallId: string): Promise<boolean> {
    if (Date.now() - claim.createdAt.getTime() < ABANDONED_AFTER_MS) return false;
    return !(await this.calls.holds(claim.callId, provider, providerCallId));
  }
}
