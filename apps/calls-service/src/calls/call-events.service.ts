import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { insertUnique } from '../database/unique-insert';
import { byCallLifeOrder, CallEvent, EventChange, ProviderName } from '../call-model/call-event';
import { isTerminal } from '../call-model/call-status';
import { eventReport, planCallUpdate } from '../call-model/call-update';
import { ProviderCallIdTaken } from './call-errors';
import { CallLockService } from './call-lock.service';
import { callTokenMatches, sdkUserIdOf } from './call-token';
import { CallWrite, CallWriter, ProviderFacts } from './call-writer.service';
import { CallRepository } from './call.repository';
import { ProviderCallIdService } from './provider-call-id.service';
import { CallEventEntry } from './schemas/call-event.schema';
import { CallRecord } from './schemas/call.schema';

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
    private readonly calls: CallRepository,
    private readonly callLocks: CallLockService,
    private readonly writer: CallWriter,
    private readonly providerCallIds: ProviderCallIdService,
  ) {}

  /**
   * Keeps the event and, once its call is known, applies it with any that waited for the same call. Only a
   * signed ICE that passes bindPlaced ties a provider call to a call; every other event reaches the call
   * that holds its provider call id, whatever call headers it carries.
   */
  async receive(event: CallEvent, requestId?: string): Promise<CallRecord | null> {
    await this.store(event);
    const provider = event.provider;
    const callId = event.kind === 'placed' ? await this.bindPlaced(provider, event, requestId) : await this.providerCallIds.holderOf(provider, event.providerCallId);
    if (!callId) return null;
    try {
      await this.applyPending(callId, provider, event.providerCallId, requestId);
    } catch (error) {
      // Another call took this provider id meanwhile: the events stay waiting for that call.
      if (!(error instanceof ProviderCallIdTaken)) throw error;
      this.logger.warn({ requestId }, `${provider} call ${event.providerCallId} is already recorded for another call than ${callId.toHexString()}`);
      return null;
    }
    return this.calls.findById(callId);
  }

  /**
   * The call an ICE may connect and bind: the one its call headers name, with the call's unguessable token,
   * placed by the call's own user as the provider authenticated them, and not tied to another provider call.
   * Anything else is hung up; the log says why, the provider's answer does not.
   */
  private async bindPlaced(provider: ProviderName, event: CallEvent, requestId: string | undefined): Promise<Types.ObjectId | null> {
    const refuse = (why: string): null => {
      this.logger.warn({ requestId }, `${provider} call ${event.providerCallId} hung up: ${why}`);
      return null;
    };
    if (!event.callId) return refuse('it names no recorded call');
    const call = await this.calls.findCarriedBy(provider, new Types.ObjectId(event.callId));
    if (!call) return refuse(`it names call ${event.callId}, which does not exist`);
    const id = call._id.toHexString();
    if (!callTokenMatches(call.callToken ?? null, event.callToken)) return refuse(`its call token is not the one of call ${id}`);
    if (event.callerIdentity !== sdkUserIdOf(call.organizationId.toHexString(), call.userId.toHexString())) {
      return refuse(`it was placed by ${event.callerIdentity ?? 'an unnamed caller'}, not by the user of call ${id}`);
    }
    if (isTerminal(call.status)) return refuse(`call ${id} has already ended as ${call.status}`);
    if (call.providerCallId !== null && call.providerCallId !== event.providerCallId) return refuse(`call ${id} already has provider call ${call.providerCallId}`);
    if ((await this.providerCallIds.claim(provider, event.providerCallId, call, 'ice')) !== 'claimed') return refuse(`another call than ${id} holds it`);
    return call._id;
  }

  /**
   * Applies, in call-life order, every stored event of this provider call that has not been applied yet,
   * recording the providerCallId on the call first if it has none. Call it whenever a call learns its
   * provider id; applying an event again changes nothing. Only the call that holds the provider id gets its
   * events: a report that named an id held in another organization applies none. Answers how many were applied.
   */
  async applyPending(callId: Types.ObjectId, provider: ProviderName, providerCallId: string, requestId?: string): Promise<number> {
    if (!(await this.providerCallIds.holderOf(provider, providerCallId))?.equals(callId)) return 0;
    const waiting = await this.eventModel.find({ provider, providerCallId, appliedAt: null }).lean<CallEventEntry[]>();
    if (waiting.length === 0) return 0;
    await this.callLocks.withLock(callId, async () => {
      for (const entry of waiting.sort(byCallLifeOrder)) {
        await this.apply(callId, providerCallId, entry.change, requestId);
        await this.eventModel.updateOne({ _id: entry._id, appliedAt: null }, { $set: { appliedAt: new Date(), appliedTo: callId } });
      }
    }, requestId);
    return waiting.length;
  }

  /** Inserts the event; a repeated delivery has the same id and is left as first stored. */
  private async store(event: CallEvent): Promise<void> {
    await insertUnique(this.eventModel, {
      _id: `${event.provider}:${event.providerCallId}:${event.type}`,
      provider: event.provider,
      providerCallId: event.providerCallId,
      callId: event.callId ? new Types.ObjectId(event.callId) : null,
      type: event.type,
      kind: event.kind,
      occurredAt: event.occurredAt,
      receivedAt: new Date(),
      change: event.change,
      payload: JSON.stringify(event.payload),
    });
  }

  /** Under the call's lock: plans the event's change on the call as it is now, and writes it. */
  private async apply(callId: Types.ObjectId, providerCallId: string, change: EventChange, requestId: string | undefined): Promise<void> {
    // Events reach only the call that holds their provider id, so they claim it as the provider's word.
    await this.writer.update(
      () => this.calls.findById(callId),
      (call) => this.planEvent(call, providerCallId, change, requestId),
      'ice',
      `Call ${callId.toHexString()} kept changing while an event was applied`,
      requestId,
    );
  }

  private planEvent(call: CallRecord, providerCallId: string, change: EventChange, requestId: string | undefined): CallWrite | null {
    const now = new Date();
    let plan = planCallUpdate(call, eventReport(call, providerCallId, change, now), now);
    if (plan.kind !== 'apply') {
      // A late event that contradicts how the call already stands (an ACE after the end, another end
      // state): the first word stands, as for the dialer's reports, and the event stays on record. The
      // call still learns the provider's id.
      this.logger.log({ requestId }, `Event for call ${call._id.toHexString()} not applied: ${plan.message}`);
      plan = planCallUpdate(call, { providerCallId }, now);
    }
    const changes = plan.kind === 'apply' ? plan.changes : {};
    const facts = newFacts(call, change);
    if (Object.keys(changes).length === 0 && !facts.cost && !facts.recording) return null;
    return { changes, facts };
  }
}

/** What only the provider knows, when the call does not have it yet. */
function newFacts(call: CallRecord, change: EventChange): ProviderFacts {
  const facts: ProviderFacts = {};
  if (change.cost && !call.cost) facts.cost = change.cost;
  const recording = change.recording;
  if (recording && !call.recordings.some((known) => known.url === recording.url && known.type === recording.type)) facts.recording = recording;
  return facts;
}
