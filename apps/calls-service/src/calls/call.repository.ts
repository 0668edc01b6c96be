import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Cursor, Model, QueryFilter, QueryOptions, Types, UpdateQuery } from 'mongoose';
import { ProviderName } from '../call-model/call-event';
import { Call, CallRecord } from './schemas/call.schema';

export { newCallRecord } from './call-record';

/** The fields of a call a report or an event can change: the condition of a conditional write. */
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
    // Every change of the agent's fields bumps it, and so does every other stored change.
    eventSeq: call.eventSeq ?? null,
  };
}

/**
 * The only class that reads or writes the calls collection. A caller's queries are always scoped to
 * their organization here; the provider's lookups (by its call id, or the call an ICE names) are the
 * only unscoped reads, and they serve the provider, never a caller.
 */
@Injectable()
export class CallRepository {
  constructor(@InjectModel(Call.name) private readonly model: Model<Call>) {}

  /**
   * This is the hottest write, and a mongoose document would buy it nothing: every field is set by
   * newCallRecord, typed as the schema's record, from values already validated. Hydrating, casting and
   * validating one was the largest cost our code added to initiate (bench/README.md, "What the profile showed").
   */
  async insert(call: CallRecord): Promise<void> {
    await this.model.collection.insertOne(call);
  }

  /**
   * The call, if it is this organization's. Through the driver: a mongoose query (building it, casting
   * a filter that is already typed, `lean()`) added about 13 µs to a get's 330 for the same document
   * (bench/README.md, "A second profile").
   */
  findInOrganization(organizationId: string, id: Types.ObjectId): Promise<CallRecord | null> {
    return this.model.collection.findOne({ _id: id, organizationId: new Types.ObjectId(organizationId) }) as Promise<CallRecord | null>;
  }

  /**
   * A page of the organization's calls matching `filter`, newest first (startTime, then _id), one more than
   * `limit` to tell whether more follow. Through the driver, as a get is: the filter is built typed (ids,
   * dates), so mongoose's query and its casting of the filter only added CPU to the list's every request.
   */
  findPage(organizationId: string, filter: QueryFilter<Call>, limit: number): Promise<CallRecord[]> {
    return this.model.collection
      .find(scoped(organizationId, filter) as never, { sort: { startTime: -1, _id: -1 }, limit: limit + 1 })
      .toArray() as Promise<CallRecord[]>;
  }

  /**
   * The organization's calls matching `filter`, newest first, read from the database as they are
   * consumed (batches of `batchSize`), for an export that must not hold them all. Close it when done.
   */
  stream(organizationId: string, filter: QueryFilter<Call>, batchSize: number): Cursor<CallRecord, QueryOptions<Call>> {
    return this.model.find(scoped(organizationId, filter)).sort({ startTime: -1, _id: -1 }).lean<CallRecord[]>().cursor({ batchSize });
  }

  /** For the provider's events, which reach a call through its provider call id, whatever its organization. */
  findById(id: Types.ObjectId): Promise<CallRecord | null> {
    return this.model.findById(id).lean<CallRecord>();
  }

  /** The call a provider's signed ICE names, if that provider carries it. */
  findCarriedBy(provider: ProviderName, id: Types.ObjectId): Promise<CallRecord | null> {
    return this.model.findOne({ _id: id, provider }).lean<CallRecord>();
  }

  /** Whether the call holds this provider call id. */
  async holds(callId: Types.ObjectId, provider: ProviderName, providerCallId: string): Promise<boolean> {
    return (await this.model.exists({ _id: callId, provider, providerCallId })) !== null;
  }

  /** Whether another call of the same organization has this provider call id stored. */
  async storedOnAnotherCallOfOrganization(call: Pick<CallRecord, '_id' | 'organizationId'>, provider: ProviderName, providerCallId: string): Promise<boolean> {
    return (await this.model.exists({ organizationId: call.organizationId, provider, providerCallId, _id: { $ne: call._id } })) !== null;
  }

  /** The provider call id each of these calls holds, if any. */
  providerCallIdsOf(ids: Types.ObjectId[]): Promise<Pick<CallRecord, '_id' | 'provider' | 'providerCallId'>[]> {
    return this.model.find({ _id: { $in: ids } }, { provider: 1, providerCallId: 1 }).lean<Pick<CallRecord, '_id' | 'provider' | 'providerCallId'>[]>();
  }

  /**
   * For each value of `key` among the organization's calls matching `filter`: how many there are
   * (`sumOf` 1), or the sum of a numeric field over them. Computed by the database. One accumulator per
   * pipeline: FerretDB 1.24 computes only the first of several in one $group (the others come back 0),
   * and it has none of the expression operators ($cond, $subtract, $dateTrunc...) that would let one
   * pass compute several numbers; hence the fields derived for the statistics (see the schema).
   */
  async sumBy(organizationId: string, filter: QueryFilter<Call>, key: keyof Call, sumOf: 1 | keyof Call): Promise<{ _id: unknown; value: number }[]> {
    return this.model.aggregate<{ _id: unknown; value: number }>([
      { $match: scoped(organizationId, filter) },
      { $group: { _id: `$${key}`, value: { $sum: sumOf === 1 ? 1 : `$${sumOf}` } } },
    ]);
  }

  /** Whether any call of the organization has this outcome. */
  async usesOutcome(organizationId: Types.ObjectId, outcomeId: Types.ObjectId): Promise<boolean> {
    return (await this.model.exists({ organizationId, outcomeId })) !== null;
  }

  /**
   * Writes the update if the call is still exactly as read, in every field a report or an event can
   * change; null when it is not. Under the call's lock only a lost lock makes it miss: FerretDB applies
   * it as a read and a blind write, so the lock, not this condition, is what serialises writers there.
   */
  writeIfUnchanged(call: CallRecord, update: UpdateQuery<Call>): Promise<CallRecord | null> {
    // The writer sets updatedAt itself: the event written with the change carries the call as stored.
    return this.model.findOneAndUpdate(asRead(call), update, { returnDocument: 'after', timestamps: false }).lean<CallRecord>();
  }

  /**
   * The calls' organizations and outboxes alone, through the driver, in one query: the relay reads those of a
   * batch at once (on MongoDB an `_id` index lookup; on FerretDB 1.24, which uses no index for it, one scan
   * of the calls rather than one per call).
   */
  outboxesOf(ids: Types.ObjectId[]): Promise<Pick<CallRecord, '_id' | 'organizationId' | 'pendingEvents'>[]> {
    const filter = ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } };
    return this.model.collection.find(filter, { projection: { organizationId: 1, pendingEvents: 1 } }).toArray() as Promise<Pick<CallRecord, '_id' | 'organizationId' | 'pendingEvents'>[]>;
  }

  /**
   * Replaces the call's outbox, under the call's lock (which the caller holds, having read the outbox under
   * it): filtered on `_id` alone, the one filter FerretDB pushes down, and through the driver (no timestamps:
   * taking events out is no change of the call).
   */
  async setPendingEvents(id: Types.ObjectId, pending: CallRecord['pendingEvents']): Promise<void> {
    await this.model.collection.updateOne({ _id: id }, { $set: { pendingEvents: pending } });
  }
}

function scoped(organizationId: string, filter: QueryFilter<Call>): QueryFilter<Call> {
  return { ...filter, organizationId: new Types.ObjectId(organizationId) };
}
