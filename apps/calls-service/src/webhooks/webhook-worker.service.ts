import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import type { Collection } from 'mongodb';
import { Model, Types } from 'mongoose';
import { Occasionally } from '../common/occasionally';
import { crashPoint } from '../common/test-crash';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases } from '../database/lease';
import { insertRawUnique } from '../database/unique-insert';
import {
  DeliveryAttempt,
  DeliveryStatus,
  WEBHOOK_DELIVERY_LEASE,
  WebhookDelivery,
  WebhookDue,
  WebhookEndpoint,
  WebhookEndpointState,
} from './schemas/webhook.schema';
import { webhookSettings, WebhookSettings } from './webhook-config';
import { KnownEndpoint, WebhookEndpointCache } from './webhook-endpoint-cache';
import { isSuccess, nextAttemptDelay } from './webhook-retry';
import { postWebhook, SendResult, USER_AGENT } from './webhook-sender';
import { signatureHeader } from './webhook-signature';
import { parseWebhookUrl, resolveWebhookUrl, WebhookUrlRefused } from './webhook-url';

/**
 * How often a replica looks in the database for due attempts (queued by another replica, retries come due,
 * left by a crash): every POLL_MS while its last look found some and it has worked through them, every
 * REFRESH_MS otherwise. Each look reads the whole due collection on FerretDB, pending retries not yet due
 * included, so a replica does not look after every attempt, nor often when there is nothing to find.
 */
const POLL_MS = 250;
const REFRESH_MS = 2_000;
/** Due entries a replica keeps in memory to work through; beyond this it finds them again by polling. */
const MAX_KNOWN_DUE = 5_000;
/** A retry due within this is remembered with a timer, so that it goes out on time rather than at a later poll. */
const RETRY_TIMER_MAX_MS = 60_000;
/**
 * Deliveries give way to the API's requests, whose database they share: after each attempt, no new attempt
 * starts here for this many times what the attempt spent on the database (at most MAX_YIELD_MS). On a quiet
 * database an attempt's reads and writes take a few milliseconds and little is held back; on a busy one they
 * wait longer, and the workers start fewer attempts, in proportion.
 */
const YIELD_FACTOR = 2;
const MAX_YIELD_MS = 2_000;
/** Attempts in flight per process, in total and to one endpoint: a slow endpoint holds two slots at most. */
const MAX_IN_FLIGHT = 32;
const MAX_IN_FLIGHT_PER_ENDPOINT = 2;
/** Due entries read per poll. */
const POLL_BATCH = 200;
/** Beyond the time-out: the database writes after an answer. A sender that died is taken over after this. */
const LEASE_MARGIN_MS = 5_000;
const PURGE_EVERY_MS = 10 * 60_000;

/** An event to queue for an endpoint: its id (the `webhook-id`), type, and the exact body to send. */
export interface QueuedEvent {
  id: string;
  type: string;
  payload: string;
}

/**
 * Sends the due deliveries. The queue is `webhook_due`, which holds pending deliveries only. Each attempt is
 * made under the delivery's lease (a unique insert, atomic on FerretDB as on MongoDB), and after taking it
 * the worker reads the delivery: an attempt another replica finished meanwhile has moved its next attempt on
 * or ended it, so no attempt is made twice. A sender that dies leaves its lease to expire, and the delivery,
 * still due, is sent again: at least once.
 *
 * What it queues itself it remembers, and it polls the due collection only when it knows of nothing due or
 * every REFRESH_MS: on FerretDB a poll reads the whole collection. Its reads and writes on a hot path go by
 * `_id` alone (the delivery's id names its endpoint, whose id names nothing else: background work, not steered
 * by a caller), which FerretDB serves from the index; endpoints come from WebhookEndpointCache.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly settings: WebhookSettings;
  private readonly leases: Leases<string>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly purges = new Occasionally(PURGE_EVERY_MS);
  /** Due entries known here, not yet attempted, in the order they came. */
  private readonly known = new Map<string, WebhookDue>();
  private lastPoll = 0;
  private lastPollFound = false;
  /** No new attempt starts before this (YIELD_FACTOR). */
  private startAfter = 0;
  private yieldTimer?: NodeJS.Timeout;
  /** The same collections, for the driver's calls on the hot path (typed with their string `_id`). */
  private readonly deliveryCollection: Collection<WebhookDelivery>;
  private readonly dueCollection: Collection<WebhookDue>;
  private readonly stateCollection: Collection<WebhookEndpointState>;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private pollAgain = false;
  private closing = false;

  constructor(
    private readonly endpointCache: WebhookEndpointCache,
    @InjectModel(WebhookEndpointState.name) private readonly states: Model<WebhookEndpointState>,
    @InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>,
    @InjectModel(WebhookDue.name) private readonly due: Model<WebhookDue>,
    @InjectModel(WEBHOOK_DELIVERY_LEASE) leaseModel: Model<LeaseRecord<string>>,
    config: ConfigService<Environment, true>,
  ) {
    this.deliveryCollection = deliveries.collection as unknown as Collection<WebhookDelivery>;
    this.dueCollection = due.collection as unknown as Collection<WebhookDue>;
    this.stateCollection = states.collection as unknown as Collection<WebhookEndpointState>;
    this.settings = webhookSettings(config);
    this.leases = new Leases(leaseModel, this.settings.timeoutMs + LEASE_MARGIN_MS);
  }

  onApplicationBootstrap(): void {
    this.pollTimer = setInterval(() => this.kick(), POLL_MS);
    this.pollTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.yieldTimer);
    // Each is bounded by the time-out; one cut short is sent again by whoever runs next.
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Queues the event for the endpoint, once: the delivery's `_id` is `<endpointId>:<eventId>`, claimed by a
   * unique insert. Queuing it again (a fan-out that crashed and ran again) only restores a due entry the
   * crash may have kept from being written. Answers the delivery.
   */
  async enqueue(endpoint: Pick<WebhookEndpoint, '_id' | 'organizationId'>, event: QueuedEvent): Promise<WebhookDelivery | null> {
    const now = new Date();
    const id = `${endpoint._id.toHexString()}:${event.id}`;
    const delivery: WebhookDelivery = {
      _id: id,
      organizationId: endpoint.organizationId,
      endpointId: endpoint._id,
      eventId: event.id,
      eventType: event.type,
      payload: event.payload,
      status: 'pending',
      attempts: [],
      roundStart: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await insertRawUnique(this.deliveryCollection, delivery))) {
      const existing = await this.deliveries.findOne({ _id: id, organizationId: endpoint.organizationId }).lean<WebhookDelivery>();
      // Done already: its due entry was removed on purpose.
      if (!existing || existing.status !== 'pending') return existing;
    }
    crashPoint('after-delivery-insert');
    const entry: WebhookDue = { _id: id, organizationId: endpoint.organizationId, endpointId: endpoint._id, dueAt: now };
    await insertRawUnique(this.dueCollection, entry);
    this.remember(entry);
    this.kick();
    return delivery;
  }

  /** Puts a delivery back in the queue, due now (a retry by hand; the caller holds its lease). */
  async requeue(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const now = new Date();
    const changes = { status: 'pending' as const, roundStart: delivery.attempts.length, nextAttemptAt: now, updatedAt: now };
    await this.deliveries.updateOne({ _id: delivery._id, organizationId: delivery.organizationId }, { $set: changes });
    const entry: WebhookDue = { _id: delivery._id, organizationId: delivery.organizationId, endpointId: delivery.endpointId, dueAt: now };
    await insertRawUnique(this.dueCollection, entry);
    this.remember(entry);
    this.kick();
    return { ...delivery, ...changes };
  }

  /** The lease a retry by hand takes, so that it never overlaps an attempt. */
  get deliveryLeases(): Leases<string> {
    return this.leases;
  }

  /** Looks for due attempts soon. Several kicks before the look make one. */
  kick(): void {
    if (this.closing) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    void this.poll().finally(() => {
      this.polling = false;
      if (this.pollAgain) {
        this.pollAgain = false;
        setImmediate(() => this.kick());
      }
    });
  }

  private async poll(): Promise<void> {
    try {
      await this.purge();
      if (this.inFlight.size >= MAX_IN_FLIGHT) return;
      const sinceLastPoll = Date.now() - this.lastPoll;
      if (sinceLastPoll >= REFRESH_MS || (this.known.size === 0 && this.lastPollFound && sinceLastPoll >= POLL_MS)) await this.lookForDue();
      for (const entry of this.known.values()) {
        if (this.inFlight.size >= MAX_IN_FLIGHT || this.closing) break;
        if (Date.now() < this.startAfter) {
          this.yieldTimer ??= setTimeout(() => {
            this.yieldTimer = undefined;
            this.kick();
          }, this.startAfter - Date.now()).unref();
          break;
        }
        if (this.inFlight.has(entry._id)) {
          this.known.delete(entry._id);
          continue;
        }
        const endpointKey = entry.endpointId.toHexString();
        if ((this.perEndpoint.get(endpointKey) ?? 0) >= MAX_IN_FLIGHT_PER_ENDPOINT) continue;
        this.known.delete(entry._id);
        this.perEndpoint.set(endpointKey, (this.perEndpoint.get(endpointKey) ?? 0) + 1);
        const run = this.attempt(entry)
          .catch((error: unknown) => this.logger.warn(`Could not attempt webhook delivery ${entry._id}: ${String(error)}`))
          .finally(() => {
            this.inFlight.delete(entry._id);
            const left = (this.perEndpoint.get(endpointKey) ?? 1) - 1;
            if (left > 0) this.perEndpoint.set(endpointKey, left);
            else this.perEndpoint.delete(endpointKey);
            // A slot is free: there may be more due.
            this.kick();
          });
        this.inFlight.set(entry._id, run);
      }
    } catch (error) {
      this.logger.warn(`Could not look for due webhook deliveries: ${String(error)}`);
    }
  }

  /** Reads the due entries from the database, but those of endpoints this replica already sends to as much as it may. */
  private async lookForDue(): Promise<void> {
    this.lastPoll = Date.now();
    const busy = [...this.perEndpoint].filter(([, count]) => count >= MAX_IN_FLIGHT_PER_ENDPOINT).map(([endpointId]) => new Types.ObjectId(endpointId));
    const filter = busy.length > 0 ? { dueAt: { $lte: new Date() }, endpointId: { $nin: busy } } : { dueAt: { $lte: new Date() } };
    const due = await this.due.find(filter).sort({ dueAt: 1 }).limit(POLL_BATCH).lean<WebhookDue[]>();
    this.lastPollFound = due.length > 0;
    // Replicas polling the same entries take them in different orders, so the work spreads.
    for (const entry of shuffle(due)) this.remember(entry);
  }

  /** An entry due now, to attempt when a slot is free. */
  private remember(entry: WebhookDue): void {
    if (this.known.size < MAX_KNOWN_DUE && !this.inFlight.has(entry._id)) this.known.set(entry._id, entry);
  }

  private async attempt(entry: WebhookDue): Promise<void> {
    const started = Date.now();
    let sendingMs = 0;
    const lease = await this.leases.tryAcquire(entry._id).finally(() => this.giveWay(Date.now() - started));
    if (!('token' in lease)) return;
    const leased = Date.now();
    try {
      // Read under the lease: an attempt another replica made meanwhile has moved the delivery on or ended it.
      const delivery = await this.deliveryCollection.findOne({ _id: entry._id });
      if (!delivery || delivery.status !== 'pending') {
        // Ended (or removed with its endpoint); a due entry a crash may have left goes too.
        await this.dueCollection.deleteOne({ _id: entry._id });
        return;
      }
      if ((delivery.nextAttemptAt?.getTime() ?? 0) > Date.now()) return;
      const known = await this.endpointCache.endpoint(delivery.endpointId);
      if (!known || !known.endpoint.enabled || known.state?.disabledAt) {
        // Deleted or disabled: nothing more is sent; a retry by hand after re-enabling sends it again.
        await this.finish(delivery, delivery.attempts, 'failed', null);
        return;
      }
      const result = await this.send(known.endpoint, delivery);
      sendingMs = result.durationMs;
      const attempts: DeliveryAttempt[] = [...delivery.attempts, { at: new Date(Date.now() - result.durationMs), ...result }];
      crashPoint('after-webhook-send');
      const success = isSuccess(result.statusCode);
      const delay = success ? null : nextAttemptDelay(this.settings.schedule, attempts.length - delivery.roundStart);
      const nextAttemptAt = delay === null ? null : new Date(Date.now() + delay);
      await this.finish(delivery, attempts, success ? 'succeeded' : delay === null ? 'failed' : 'pending', nextAttemptAt);
      await this.recordOutcome(known, result);
      if (nextAttemptAt && delay !== null && delay <= RETRY_TIMER_MAX_MS) {
        setTimeout(() => {
          this.remember({ _id: delivery._id, organizationId: delivery.organizationId, endpointId: delivery.endpointId, dueAt: nextAttemptAt });
          this.kick();
        }, delay).unref();
      }
    } finally {
      await this.leases.release(entry._id, lease.token).catch(() => undefined);
      this.giveWay(Date.now() - leased - sendingMs);
    }
  }

  /** Holds new attempts back for YIELD_FACTOR times `databaseMs`, the time an attempt just spent on the database. */
  private giveWay(databaseMs: number): void {
    const now = Date.now();
    this.startAfter = Math.min(Math.max(this.startAfter, now) + YIELD_FACTOR * Math.max(0, databaseMs), now + MAX_YIELD_MS);
  }

  /** The attempt, signed with every secret still valid; a URL that is refused now is a failed attempt. */
  private async send(endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<SendResult> {
    const started = Date.now();
    try {
      const url = parseWebhookUrl(endpoint.url, this.settings.policy);
      const pinned = await resolveWebhookUrl(url, this.settings.policy);
      const timestamp = Math.floor(Date.now() / 1000);
      const now = Date.now();
      const secrets = endpoint.secrets.filter((secret) => secret.expiresAt === null || secret.expiresAt.getTime() > now).map((secret) => secret.secret);
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, delivery.eventId, timestamp, delivery.payload),
      };
      // The address check took some of the attempt's time: the answer gets what is left.
      const left = Math.max(1, this.settings.timeoutMs - (Date.now() - started));
      return await postWebhook(url, pinned, headers, delivery.payload, left, this.settings.timeoutMs);
    } catch (error) {
      const reason = error instanceof WebhookUrlRefused ? `refused: ${error.message}` : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${String((error as Error).message)}`;
      return { statusCode: null, error: reason.slice(0, 300), durationMs: Date.now() - started };
    }
  }

  /** Writes the delivery's new state, then moves or removes its due entry: a crash between sends it again. */
  private async finish(delivery: WebhookDelivery, attempts: DeliveryAttempt[], status: DeliveryStatus, nextAttemptAt: Date | null): Promise<void> {
    const byId = { _id: delivery._id };
    await this.deliveryCollection.updateOne(byId, { $set: { attempts, status, nextAttemptAt, updatedAt: new Date() } });
    if (nextAttemptAt) await this.dueCollection.updateOne(byId, { $set: { dueAt: nextAttemptAt } });
    else await this.dueCollection.deleteOne(byId);
  }

  /**
   * Counts consecutive failed attempts in the endpoint's state (never in the endpoint, which admins write), and
   * disables the endpoint after a 410 or WEBHOOK_DISABLE_AFTER of them. A failure counts from the state as
   * stored, read again; a success clears the count the cached state shows (another replica's failures of the
   * last ENDPOINT_CACHE_MS may be left standing). Concurrent attempts may each count from the same number
   * (FerretDB's updates are a read and a blind write), so the count may run a little behind.
   */
  private async recordOutcome({ endpoint, state: cachedState }: KnownEndpoint, result: SendResult): Promise<void> {
    const byId = { _id: endpoint._id };
    if (isSuccess(result.statusCode)) {
      if (cachedState && cachedState.failures > 0 && !cachedState.disabledAt) {
        await this.stateCollection.updateOne(byId, { $set: { failures: 0 } });
        this.endpointCache.stateWritten(endpoint._id, endpoint.organizationId, { ...cachedState, failures: 0 });
      }
      return;
    }
    const state = await this.stateCollection.findOne(byId);
    const failures = (state?.failures ?? 0) + 1;
    let disabledReason: string | null = null;
    if (result.statusCode === 410) disabledReason = 'The endpoint answered 410 Gone';
    else if (failures >= this.settings.disableAfter) disabledReason = `${failures} failed attempts in a row`;
    const changes = { failures, ...(disabledReason ? { disabledAt: new Date(), disabledReason } : {}) };
    const written: WebhookEndpointState = { ...byId, organizationId: endpoint.organizationId, disabledAt: null, disabledReason: null, ...state, ...changes };
    if (state) await this.stateCollection.updateOne(byId, { $set: changes });
    else if (!(await insertRawUnique(this.stateCollection, written))) {
      // Another attempt made the state first: count on it.
      await this.stateCollection.updateOne(byId, { $set: changes });
    }
    this.endpointCache.stateWritten(endpoint._id, endpoint.organizationId, written);
    if (disabledReason) this.logger.warn(`Webhook endpoint ${endpoint._id.toHexString()} disabled: ${disabledReason}`);
  }

  /** Deliveries older than WEBHOOK_LOG_RETENTION_DAYS, and leases their dead holders left, at most every few minutes. */
  private async purge(): Promise<void> {
    if (!this.purges.due()) return;
    const cutoff = new Date(Date.now() - this.settings.retentionMs);
    await this.deliveries.deleteMany({ createdAt: { $lt: cutoff }, status: { $ne: 'pending' } });
    await this.leases.purgeExpired(60_000);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
