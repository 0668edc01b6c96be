import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { byCallLifeOrder, CallChange, CallEvent } from '../providers/call-provider';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { CallEventEntry } from './schemas/call-event.schema';
import { CALL_STATUSES, CallStatus } from './call-status';
import { Call, CALL_PROVIDERS, CallProvider as CallProviderName, CallRecord } from './schemas/call.schema';

type EntryRecord = CallEventEntry;
const FILLED_ONCE = ['answerTime', 'endTime', 'duration', 'endReason', 'cost'] as const;

/**
 * Provider events: each is stored once, whatever order and however often it arrives, then applied
 * to its call through the status rules, or kept until its call is known.
 */
@Injectable()
export class CallEventsService {
  private readonly logger = new Logger(CallEventsService.name);

  constructor(
    @InjectModel(CallEventEntry.name) private readonly eventModel: Model<CallEventEntry>,
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly providers: CallProviderRegistry,
  ) {}

  /** Handles a callback whose signature was verified, and returns the provider's answer. */
  async handleCallback(providerName: string, body: unknown): Promise<object> {
    const provider = this.providers.get(providerName);
    const parsed = provider.parseEvent(body, new Date());
    if (parsed.outcome === 'invalid') throw new BadRequestException(parsed.message);
    if (parsed.outcome === 'ignored') return provider.answer(null, null);
    const call = await this.receive(parsed.event);
    // A call that has already ended, or that we cannot tie to this provider call, must not be connected.
    const proceed = call !== null && !isTerminal(call.status);
    return provider.answer(parsed.event, proceed ? { to: call.to, from: call.from } : null);
  }

  /** Keeps the event and applies it, with any that waited for the same call, once the call is known. */
  async receive(event: CallEvent): Promise<CallRecord | null> {
    await this.store(event);
    const call = await this.findCallFor(event);
    if (!call) return null;
    if (!(await this.claimProviderCallId(call, event.providerCallId))) {
      this.logger.warn(`${event.provider} call ${event.providerCallId} names call ${call._id.toHexString()}, which belongs to provider call ${call.providerCallId}`);
      return null;
    }
    await this.applyPending(event.provider, event.providerCallId, call._id);
    return call;
  }

  /**
   * Applies, in call-life order, every stored event of this provider call that has not been applied
   * yet. Call it whenever a call learns its provider id; applying twice changes nothing.
   */
  async applyPending(provider: string, providerCallId: string, callId: Types.ObjectId): Promise<void> {
    const waiting = await this.eventModel.find({ provider, providerCallId, appliedAt: null }).lean<EntryRecord[]>();
    for (const entry of waiting.sort(byCallLifeOrder)) {
      await this.applyChange(callId, entry.change);
      await this.eventModel.updateOne({ _id: entry._id, appliedAt: null }, { $set: { appliedAt: new Date(), appliedTo: callId } });
    }
  }

  /** Inserts the event; a repeated delivery has the same id and is left as first stored. */
  private async store(event: CallEvent): Promise<void> {
    await this.eventModel
      .create({
        _id: `${event.provider}:${event.providerCallId}:${event.type}`,
        provider: event.provider,
        providerCallId: event.providerCallId,
        callId: event.callId ? new Types.ObjectId(event.callId) : null,
        type: event.type,
        kind: event.kind,
        occurredAt: event.occurredAt,
        receivedAt: new Date(),
        change: event.change,
        payload: event.payload,
      })
      .catch((error: unknown) => {
        if (!isDuplicateKeyError(error)) throw error;
      });
  }

  /** By the call id the provider echoed back, else by the provider's own call id. */
  private async findCallFor(event: CallEvent): Promise<CallRecord | null> {
    const provider = event.provider;
    if (!isCallProviderName(provider)) return null;
    if (event.callId) {
      const named = await this.callModel.findOne({ _id: new Types.ObjectId(event.callId), provider }).lean<CallRecord>();
      if (named) return named;
    }
    return this.callModel.findOne({ provider, providerCallId: event.providerCallId }).lean<CallRecord>();
  }

  /** Records the provider's id on the call unless it already has another. */
  private async claimProviderCallId(call: CallRecord, providerCallId: string): Promise<boolean> {
    if (call.providerCallId === providerCallId) return true;
    if (call.providerCallId !== null) return false;
    await this.callModel.updateOne({ _id: call._id, providerCallId: null }, { $set: { providerCallId } });
    const now = await this.callModel.findById(call._id, { providerCallId: 1 }).lean<Pick<CallRecord, 'providerCallId'>>();
    return now?.providerCallId === providerCallId;
  }

  /**
   * Each write is conditional, so the outcome does not depend on order or repetition: a field is
   * only filled, never overwritten, and the status only moves forward and never out of an end state.
   */
  private async applyChange(callId: Types.ObjectId, change: CallChange): Promise<void> {
    const writes: AnyBulkWriteOperation<Call>[] = [];
    for (const field of FILLED_ONCE) {
      if (change[field] !== undefined) writes.push({ updateOne: { filter: { _id: callId, [field]: null }, update: { $set: { [field]: change[field] } } } });
    }
    if (change.recording) writes.push({ updateOne: { filter: { _id: callId }, update: { $addToSet: { recordings: change.recording } } } });
    if (change.status) {
      writes.push({ updateOne: { filter: { _id: callId, status: { $in: statusesThatMayBecome(change.status) } }, update: { $set: { status: change.status } } } });
    }
    if (writes.length > 0) await this.callModel.bulkWrite(writes, { ordered: true });
  }
}

const isCallProviderName = (name: string): name is CallProviderName => (CALL_PROVIDERS as readonly string[]).includes(name);
const RANK: Record<CallStatus, number> = { initiated: 0, ringing: 1, 'in-progress': 2, completed: 3, busy: 3, 'no-answer': 3, canceled: 3, failed: 3 };
const isTerminal = (status: CallStatus): boolean => RANK[status] === 3;
const statusesThatMayBecome = (target: CallStatus): CallStatus[] => CALL_STATUSES.filter((status) => !isTerminal(status) && RANK[status] < RANK[target]);
