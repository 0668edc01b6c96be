import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { requestContext } from '../common/logging/request-context';
import { LeaseRecord, Leases } from '../database/lease';
import { insertUnique } from '../database/unique-insert';
import { EventRelay } from '../events/event-relay.service';
import { EventsService } from '../events/events.service';
import { WEBHOOK_DISPATCH_LEASE, WebhookCursor, WebhookEndpoint } from './schemas/webhook.schema';
import { WebhookEndpointCache } from './webhook-endpoint-cache';
import { WebhookWorker } from './webhook-worker.service';

/** Longer than a batch may take; a fan-out that died holding it delays its organization's webhooks this long. */
const LEASE_MS = 10_000;
/** How often every replica looks for events other replicas relayed, or a crash left. */
const SWEEP_MS = 1_000;
/** Events one fan-out handles before it moves the cursor and takes the lease again. */
const BATCH = 200;
/**
 * How often the sweep looks past an organization's head for events a relay numbered but died before moving the
 * head over. Otherwise the fan-out reads up to the head only: on FerretDB a lookup that finds nothing reads the
 * whole events collection.
 */
const PROBE_MS = 30_000;

/**
 * Fans the feed out to the endpoints: one fan-out at a time per organization (a lease) reads the feed from a
 * cursor stored in the database up to the organization's head, by point lookups on `<org>:<seq+1>` as a feed
 * page does, queues one delivery per matching enabled endpoint (a unique insert: a fan-out that crashed and
 * ran again cannot queue one twice), then moves the cursor. Kicked when this process relays events; every
 * replica also sweeps every second for heads moved elsewhere (or after the kick: the relay tells its listeners
 * before it moves the head). An organization without endpoints costs nothing past a cached look.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly leases: Leases<string>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Organizations whose next fan-out reads past the head, and when the sweep last looked there. */
  private readonly probing = new Set<string>();
  private readonly lastProbe = new Map<string, number>();
  /** Each organization's cursor as this replica last read or wrote it: it only moves forward. */
  private readonly cursorSeen = new Map<string, number>();
  private sweepTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    private readonly endpointCache: WebhookEndpointCache,
    @InjectModel(WebhookCursor.name) private readonly cursors: Model<WebhookCursor>,
    @InjectModel(WEBHOOK_DISPATCH_LEASE) leaseModel: Model<LeaseRecord<string>>,
    private readonly events: EventsService,
    private readonly relay: EventRelay,
    private readonly worker: WebhookWorker,
  ) {
    this.leases = new Leases(leaseModel, LEASE_MS);
  }

  onApplicationBootstrap(): void {
    this.relay.onRelayed((organizationId) => this.kick(organizationId));
    this.sweepTimer = setInterval(() => void requestContext.exit(() => this.sweep()), SWEEP_MS);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** Fans out the organization's new events soon. */
  kick(organizationId: string): void {
    if (this.closing) return;
    if (this.running.has(organizationId)) {
      this.again.add(organizationId);
      return;
    }
    const run = requestContext
      .exit(() => this.drain(organizationId))
      .catch((error: unknown) => this.logger.warn(`Could not fan out the events of organization ${organizationId} to webhooks: ${String(error)}`))
      .finally(() => {
        this.running.delete(organizationId);
        if (this.again.delete(organizationId)) this.kick(organizationId);
      });
    this.running.set(organizationId, run);
  }

  /** Every organization with an endpoint whose head has moved past its cursor: a look without the lease. */
  private async sweep(): Promise<void> {
    try {
      const organizations = (await this.endpoints.distinct('organizationId', { enabled: true })) as Types.ObjectId[];
      for (const organization of organizations) {
        const organizationId = organization.toHexString();
        if (this.running.has(organizationId)) continue;
        const cursor = await this.cursors.findById(organizationId).lean<WebhookCursor>();
        if (!cursor || (await this.events.lastSeq(organizationId)) > cursor.seq) {
          this.kick(organizationId);
          continue;
        }
        if (Date.now() - (this.lastProbe.get(organizationId) ?? 0) < PROBE_MS) continue;
        this.lastProbe.set(organizationId, Date.now());
        if (await this.events.eventAt(organizationId, cursor.seq + 1)) {
          this.probing.add(organizationId);
          this.kick(organizationId);
        }
      }
    } catch (error) {
      this.logger.warn(`Could not look for events to send to webhooks: ${String(error)}`);
    }
  }

  private async drain(organizationId: string): Promise<void> {
    // No endpoints, nothing to fan out. The organization's first endpoint makes its cursor at the head.
    if ((await this.endpointCache.ofOrganization(organizationId)).length === 0) return;
    // Nothing past the cursor (the relay kicks before it moves the head, the sweep comes back): no lease taken.
    const seen = this.cursorSeen.get(organizationId);
    if (seen !== undefined && !this.probing.has(organizationId) && (await this.events.lastSeq(organizationId)) <= seen) return;
    while (!this.closing) {
      const attempt = await this.leases.tryAcquire(organizationId);
      // Another replica fans this organization out now; the sweep brings back whatever it leaves.
      if (!('token' in attempt)) return;
      let more: boolean;
      try {
        more = await this.fanOut(organizationId);
      } finally {
        await this.leases.release(organizationId, attempt.token).catch(() => undefined);
      }
      if (!more) return;
    }
  }

  /** Under the organization's lease: queues up to a batch of events past the cursor, then moves it. True when more may follow. */
  private async fanOut(organizationId: string): Promise<boolean> {
    const organization = new Types.ObjectId(organizationId);
    const cursor = await this.cursorOf(organizationId);
    // A disabled endpoint queues nothing new (seen here at most ENDPOINT_CACHE_MS after another replica disabled it).
    const active = (await this.endpointCache.ofOrganization(organizationId))
      .filter(({ endpoint, state }) => endpoint.enabled && !state?.disabledAt && endpoint.organizationId.equals(organization))
      .map(({ endpoint }) => endpoint);
    const head = await this.events.lastSeq(organizationId);
    const pastHead = this.probing.delete(organizationId);
    let seq = cursor;
    for (let count = 0; count < BATCH; count++) {
      if (seq >= head && !pastHead) break;
      const event = await this.events.eventAt(organizationId, seq + 1);
      if (!event) break;
      const payload = JSON.stringify(event);
      const createdAt = new Date(event.createdAt).getTime();
      for (const endpoint of active) {
        // An endpoint gets the events of changes made after it was registered.
        if (endpoint.createdAt.getTime() > createdAt) continue;
        if (endpoint.events.length > 0 && !endpoint.events.includes(event.type)) continue;
        await this.worker.enqueue(endpoint, { id: event.id, type: event.type, payload });
      }
      seq++;
    }
    if (seq !== cursor) await this.cursors.updateOne({ _id: organizationId }, { $set: { seq } });
    this.cursorSeen.set(organizationId, seq);
    return seq - cursor === BATCH;
  }

  /**
   * Where the organization's fan-out stands. Made when its first endpoint is registered, at the feed's head:
   * endpoints get the changes made after they were registered, never the history.
   */
  async cursorOf(organizationId: string): Promise<number> {
    const stored = await this.cursors.findById(organizationId).lean<WebhookCursor>();
    if (stored) return stored.seq;
    const seq = await this.events.lastSeq(organizationId);
    if (await insertUnique(this.cursors, { _id: organizationId, seq })) return seq;
    return (await this.cursors.findById(organizationId).lean<WebhookCursor>())?.seq ?? seq;
  }
}
