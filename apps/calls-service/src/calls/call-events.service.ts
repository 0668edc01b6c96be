import { BadRequestException, ConflictException, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { byCallLifeOrder, CallChange, CallEvent } from '../providers/call-provider';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { isTerminal } from './call-status';
import { CallReport, MAX_CLOCK_SKEW_MS, planCallUpdate } from './call-update';
import { CallLockService } from './call-lock.service';
import { CallWriter, ProviderFacts } from './call-writer.service';
import { CallEventEntry } from './schemas/call-event.schema';
import { Call, CALL_PROVIDERS, CallProvider as CallProviderName, CallRecord } from './schemas/call.schema';

/** Under the call's lock a write only misses if the lock was lost; then the event is re-planned. */
const WRITE_ATTEMPTS = 3;

/**
 * Provider events: each is stored once, whatever order and however often it arrives, and applied to its
 * call through the same status rules, lock and conditional write as the dialer's reports; an event whose
 * call is not known yet waits until the call learns its providerCallId.
 */
@Injectable()
export class CallEventsService {
  private readonly logger = new Logger(CallEventsService.name);

  constructor(
    @InjectModel(CallEventEntry.name) private readonly eventModel: Model<CallEventEntry>,
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly providers: CallProviderRegistry,
    private readonly callLocks: CallLockService,
    private readonly writer: CallWriter,
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

  /** Keeps the event and, once its call is known, applies it with any that waited for the same call. */
  async receive(event: CallEvent): Promise<CallRecord | null> {
    await this.store(event);
    const call = await this.findCallFor(event);
    if (!call) return null;
    if (call.providerCallId !== null && call.providerCallId !== event.providerCallId) {
      this.logger.warn(`${event.provider} call ${event.providerCallId} names call ${call._id.toHexString()}, which has provider call ${call.providerCallId}`);
      return null;
    }
    try {
      await this.applyPending(call._id, event.provider, event.providerCallId);
    } catch (error) {
      // Another call holds this provider id: the events stay waiting for that call.
      if (!(error instanceof ConflictException)) throw error;
      this.logger.warn(`${event.provider} call ${event.providerCallId} is already recorded for another call than ${call._id.toHexString()}`);
      return null;
    }
    return this.callModel.findById(call._id).lean<CallRecord>();
  }

  /**
   * Applies, in call-life order, every stored event of this provider call that has not been applied yet,
   * recording the providerCallId on the call first if it has none. Call it whenever a call learns its
   * provider id; applying an event again changes nothing. Answers how many events were applied.
   */
  async applyPending(callId: Types.ObjectId, provider: string, providerCallId: string): Promise<number> {
    const waiting = await this.eventModel.find({ provider, providerCallId, appliedAt: null }).lean<CallEventEntry[]>();
    if (waiting.length === 0) return 0;
    await this.callLocks.withLock(callId, async () => {
      for (const entry of waiting.sort(byCallLifeOrder)) {
        await this.apply(callId, providerCallId, entry.change);
        await this.eventModel.updateOne({ _id: entry._id, appliedAt: null }, { $set: { appliedAt: new Date(), appliedTo: callId } });
      }
    });
    return waiting.length;
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

  /** Under the call's lock: plans the event's change on the call as it is now, and writes it. */
  private async apply(callId: Types.ObjectId, providerCallId: string, change: CallChange): Promise<void> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const call = await this.callModel.findById(callId).lean<CallRecord>();
      if (!call) return;
      const now = new Date();
      let plan = planCallUpdate(call, reportOf(call, providerCallId, change, now), now);
      if (plan.kind !== 'apply') {
        // A late event that contradicts how the call already stands (an ACE after the end, another end
        // state): the first word stands, as for the dialer's reports, and the event stays on record. The
        // call still learns the provider's id.
        this.logger.log(`Event for call ${callId.toHexString()} not applied: ${plan.message}`);
        plan = planCallUpdate(call, { providerCallId }, now);
      }
      const changes = plan.kind === 'apply' ? plan.changes : {};
      const facts = newFacts(call, change);
      if (Object.keys(changes).length === 0 && !facts.cost && !facts.recording) return;
      if (await this.writer.write(call, changes, facts)) return;
    }
    throw new Error(`Call ${callId.toHexString()} kept changing while an event was applied`);
  }
}

/**
 * The event as a report, with its times moved into what the planner accepts (not before the call
 * began, nor further ahead than the clock skew it allows): the provider's clock may disagree with ours
 * by a little, and that must not cost the event.
 */
function reportOf(call: CallRecord, providerCallId: string, change: CallChange, now: Date): CallReport {
  const latest = now.getTime() + MAX_CLOCK_SKEW_MS;
  const clamp = (time: Date | undefined, notBefore: Date | null) =>
    time === undefined ? undefined : new Date(Math.min(Math.max(time.getTime(), call.startTime.getTime(), notBefore?.getTime() ?? 0), latest));
  const answerTime = clamp(change.answerTime, null);
  return {
    providerCallId,
    status: change.status,
    answerTime,
    endTime: clamp(change.endTime, call.answerTime ?? answerTime ?? null),
    endReason: change.endReason,
  };
}

/** What only the provider knows, when the call does not have it yet. */
function newFacts(call: CallRecord, change: CallChange): ProviderFacts {
  const facts: ProviderFacts = {};
  if (change.cost && !call.cost) facts.cost = change.cost;
  const recording = change.recording;
  if (recording && !call.recordings.some((known) => known.url === recording.url && known.type === recording.type)) facts.recording = recording;
  return facts;
}

const isCallProviderName = (name: string): name is CallProviderName => (CALL_PROVIDERS as readonly string[]).includes(name);
