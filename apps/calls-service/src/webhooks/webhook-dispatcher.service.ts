import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { LeaseRecord, Leases } from '../database/lease';
import { insertUnique } from '../database/unique-insert';
import { EventRelay } from '../events/event-relay.service';
import { EventsService, LOOKUPS_AT_ONCE, toEventDto } from '../events/events.service';
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
 * Fans the feed out to the endpoints: one fan-out at a time per organization (a lease) reads the feed from a
 * cursor stored in the database up to the organization's head, by point lookups on `<org>:<seq+1>` as a feed
 * page does, queues one delivery per matching enabled endpoint (a unique insert: a fan-out that crashed and
 * ran again cannot queue one twice), then moves the cursor. Kicked when this process relays events of an
 * organization with an enabled endpoint; every replica also sweeps every second for events relayed elsewhere.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly leases: Leases<string>;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /**
   * The organizations with an enabled endpoint, as the last sweep found them (plus those registered here
   * since): a relay of any other organization costs nothing here. A cache: an endpoint registered on another
   * replica is fanned out to from this one's next sweep, which compares the cursor with the head.
   */
  private withEndpoints = new Set<string>();
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
    this.relay.onRelayed((organizationId) => {
      if (this.withEndpoints.has(organizationId)) this.kick(organizationId);
    });
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    void this.sweep();
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
    const run = this.drain(organizationId)
      .catch((error: unknown) => this.logger.warn(`Could not fan out the events of organization ${organizationId} to webhooks: ${String(error)}`))
      .finally(() => {
        this.running.delete(organizationId);
        if (this.again.delete(organizationId)) this.kick(organizationId);
      });
    this.running.set(organizationId, run);
  }

  /** Every organization with an endpoint whose feed has moved past its cursor: a look without the lease. */
  private async sweep(): Promise<void> {
    try {
      const organizations = ((await this.endpoints.distinct('organizationId', { enabled: true })) as Types.ObjectId[]).map((id) => id.toHexString());
      this.withEndpoints = new Set(organizations);
      for (const organizationId of organizations) {
        if (this.running.has(organizationId)) continue;
        // Both found by `_id`: the head, never a lookup of the number after it, which may not be stored.
        const cursor = (await this.cursors.collection.findOne({ _id: organizationId as never })) as WebhookCursor | null;
        if (!cursor || (await this.events.lastSeq(organizationId)) > cursor.seq) this.kick(organizationId);
      }
    } catch (error) {
      this.logger.warn(`Could not look for events to send to webhooks: ${String(error)}`);
    }
  }

  private async drain(organizationId: string): Promise<void> {
    // Nothing past the cursor as this replica last saw it (another kick, or a sweep, got there first): no lease taken.
    const seen = this.cursorSeen.get(organizationId);
    if (seen !== undefined && (await this.events.lastSeq(organizationId)) <= seen) return;
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
    const last = Math.min(head, cursor + BATCH);
    let seq = cursor;
    while (seq < last) {
      // Up to the head, the newest from the head's copies, as a feed page reads them.
      const size = Math.min(LOOKUPS_AT_ONCE, last - seq);
      const run = await this.events.readRun(organizationId, seq + 1, size, head);
      for (const stored of run) {
        const event = toEventDto(stored);
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
      if (run.length < size) break;
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
    this.withEndpoints.add(organizationId);
    const stored = await this.cursors.findById(organizationId).lean<WebhookCursor>();
    if (stored) return stored.seq;
    const seq = await this.events.lastSeq(organizationId);
    if (await insertUnique(this.cursors, { _id: organizationId, seq })) return seq;
    return (await this.cursors.findById(organizationId).lean<WebhookCursor>())?.seq ?? seq;
  }
}
