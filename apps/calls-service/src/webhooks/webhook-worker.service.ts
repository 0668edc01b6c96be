import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { requestContext } from '../common/logging/request-context';
import { Occasionally } from '../common/occasionally';
import { crashPoint } from '../common/test-crash';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases } from '../database/lease';
import { insertUnique } from '../database/unique-insert';
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
import { isSuccess, nextAttemptDelay } from './webhook-retry';
import { postWebhook, SendResult, USER_AGENT } from './webhook-sender';
import { signatureHeader } from './webhook-signature';
import { parseWebhookUrl, resolveWebhookUrl, WebhookUrlRefused } from './webhook-url';

/** How often every replica looks for due attempts (besides being kicked when one is queued here). */
const POLL_MS = 250;
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
 * the worker reads the due entry again: an attempt another replica finished meanwhile has moved or removed
 * it, so no attempt is made twice. A sender that dies leaves its lease to expire, and the delivery, still
 * due, is sent again: at least once.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly settings: WebhookSettings;
  private readonly leases: Leases<string>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly purges = new Occasionally(PURGE_EVERY_MS);
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private pollAgain = false;
  private closing = false;

  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    @InjectModel(WebhookEndpointState.name) private readonly states: Model<WebhookEndpointState>,
    @InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>,
    @InjectModel(WebhookDue.name) private readonly due: Model<WebhookDue>,
    @InjectModel(WEBHOOK_DELIVERY_LEASE) leaseModel: Model<LeaseRecord<string>>,
    config: ConfigService<Environment, true>,
  ) {
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
    if (!(await insertUnique(this.deliveries, delivery))) {
      const existing = await this.deliveries.findOne({ _id: id, organizationId: endpoint.organizationId }).lean<WebhookDelivery>();
      // Done already: its due entry was removed on purpose.
      if (!existing || existing.status !== 'pending') return existing;
    }
    crashPoint('after-delivery-insert');
    await insertUnique(this.due, { _id: id, organizationId: endpoint.organizationId, endpointId: endpoint._id, dueAt: now });
    this.kick();
    return delivery;
  }

  /** Puts a delivery back in the queue, due now (a retry by hand; the caller holds its lease). */
  async requeue(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const now = new Date();
    const changes = { status: 'pending' as const, roundStart: delivery.attempts.length, nextAttemptAt: now, updatedAt: now };
    await this.deliveries.updateOne({ _id: delivery._id, organizationId: delivery.organizationId }, { $set: changes });
    await insertUnique(this.due, { _id: delivery._id, organizationId: delivery.organizationId, endpointId: delivery.endpointId, dueAt: now });
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
    // Background work: neither its queries nor its log lines belong to the request that kicked it.
    void requestContext
      .exit(() => this.poll())
      .finally(() => {
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
      const due = await this.due.find({ dueAt: { $lte: new Date() } }).sort({ dueAt: 1 }).limit(POLL_BATCH).lean<WebhookDue[]>();
      // Replicas polling the same entries take them in different orders, so the work spreads.
      for (const entry of shuffle(due)) {
        if (this.inFlight.size >= MAX_IN_FLIGHT || this.closing) break;
        const endpointKey = entry.endpointId.toHexString();
        if (this.inFlight.has(entry._id) || (this.perEndpoint.get(endpointKey) ?? 0) >= MAX_IN_FLIGHT_PER_ENDPOINT) continue;
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

  private async attempt(entry: WebhookDue): Promise<void> {
    const lease = await this.leases.tryAcquire(entry._id);
    if (!('token' in lease)) return;
    try {
      // Read again under the lease: another replica may have made this attempt and moved the entry meanwhile.
      const current = await this.due.findOne({ _id: entry._id, organizationId: entry.organizationId }).lean<WebhookDue>();
      if (!current || current.dueAt.getTime() > Date.now()) return;
      const delivery = await this.deliveries.findOne({ _id: entry._id, organizationId: entry.organizationId }).lean<WebhookDelivery>();
      if (!delivery || delivery.status !== 'pending') {
        await this.due.deleteOne({ _id: entry._id, organizationId: entry.organizationId });
        return;
      }
      const scope = { _id: delivery.endpointId, organizationId: delivery.organizationId };
      const [endpoint, state] = await Promise.all([
        this.endpoints.findOne(scope).lean<WebhookEndpoint>(),
        this.states.findOne(scope).lean<WebhookEndpointState>(),
      ]);
      if (!endpoint || !endpoint.enabled || state?.disabledAt) {
        // Deleted or disabled: nothing more is sent; a retry by hand after re-enabling sends it again.
        await this.finish(delivery, delivery.attempts, 'failed', null);
        return;
      }
      const result = await this.send(endpoint, delivery);
      const attempts: DeliveryAttempt[] = [...delivery.attempts, { at: new Date(Date.now() - result.durationMs), ...result }];
      crashPoint('after-webhook-send');
      const success = isSuccess(result.statusCode);
      const delay = success ? null : nextAttemptDelay(this.settings.schedule, attempts.length - delivery.roundStart);
      await this.finish(delivery, attempts, success ? 'succeeded' : delay === null ? 'failed' : 'pending', delay === null ? null : new Date(Date.now() + delay));
      await this.recordOutcome(endpoint, state, result);
      if (delay !== null) setTimeout(() => this.kick(), delay).unref();
    } finally {
      await this.leases.release(entry._id, lease.token).catch(() => undefined);
    }
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
      return await postWebhook(url, pinned, headers, delivery.payload, Math.max(1, this.settings.timeoutMs - (Date.now() - started)));
    } catch (error) {
      const reason = error instanceof WebhookUrlRefused ? `refused: ${error.message}` : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${String((error as Error).message)}`;
      return { statusCode: null, error: reason.slice(0, 300), durationMs: Date.now() - started };
    }
  }

  /** Writes the delivery's new state, then moves or removes its due entry: a crash between sends it again. */
  private async finish(delivery: WebhookDelivery, attempts: DeliveryAttempt[], status: DeliveryStatus, nextAttemptAt: Date | null): Promise<void> {
    const scope = { _id: delivery._id, organizationId: delivery.organizationId };
    await this.deliveries.updateOne(scope, { $set: { attempts, status, nextAttemptAt, updatedAt: new Date() } });
    if (nextAttemptAt) await this.due.updateOne(scope, { $set: { dueAt: nextAttemptAt } });
    else await this.due.deleteOne(scope);
  }

  /**
   * Counts consecutive failed attempts in the endpoint's state (never in the endpoint, which admins write), and
   * disables the endpoint after a 410 or WEBHOOK_DISABLE_AFTER of them. Concurrent attempts may each count from
   * the same number (FerretDB's updates are a read and a blind write), so the count may run a little behind.
   */
  private async recordOutcome(endpoint: WebhookEndpoint, state: WebhookEndpointState | null, result: SendResult): Promise<void> {
    const scope = { _id: endpoint._id, organizationId: endpoint.organizationId };
    if (isSuccess(result.statusCode)) {
      if (state && state.failures > 0 && !state.disabledAt) await this.states.updateOne(scope, { $set: { failures: 0 } });
      return;
    }
    const failures = (state?.failures ?? 0) + 1;
    let disabledReason: string | null = null;
    if (result.statusCode === 410) disabledReason = 'The endpoint answered 410 Gone';
    else if (failures >= this.settings.disableAfter) disabledReason = `${failures} failed attempts in a row`;
    const changes = { failures, ...(disabledReason ? { disabledAt: new Date(), disabledReason } : {}) };
    if (state) {
      await this.states.updateOne(scope, { $set: changes });
      return;
    }
    const created = { ...scope, disabledAt: null, disabledReason: null, ...changes };
    await this.states.create(created).catch(async (error: unknown) => {
      // Another attempt made the state first: count on it.
      if (!isDuplicateKeyError(error)) throw error;
      await this.states.updateOne(scope, { $set: changes });
    });
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
