import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { CallOutbox } from '../calls/call-outbox';
import { requestContext } from '../common/logging/request-context';
import { crashPoint } from '../common/test-crash';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases } from '../database/lease';
import { insertUnique } from '../database/unique-insert';
import { EventHead, eventId, FeedEvent } from './event.schema';

export const EVENT_RELAY_LEASE = 'EventRelayLease';
/**
 * Longer than a batch may take: a relay stops taking calls after a third of it. A relay that died holding
 * it delays its organization's events by at most this long.
 */
const LEASE_MS = 10_000;
/** How often every replica looks for outboxes nobody relayed (a crash, or a lease held elsewhere). */
const SWEEP_MS = 1_000;
const SWEEP_BATCH = 500;
/** How often (at most, per organization and process) events older than the retention are purged. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 1_000;
const DAY_MS = 86_400_000;

class LostLease extends Error {}

/** Told when the relay has stored events of an organization, so that this process's streams and webhooks need not wait for a poll. */
export type RelayedListener = (organizationId: string) => void;

/**
 * Moves the events waiting in calls' outboxes to the feed. One relay at a time per organization (a lease):
 * it gives each event the organization's next sequence number by a unique insert of `<org>:<seq>`, one after
 * the other, so numbers are allocated and become visible in the same order, and a reader paging "after
 * this id" can never skip one that shows up later. Then it takes the events out of the call.
 *
 * Crash-safe at every step: the head (last number relayed) is written only after every event below it was
 * taken out of its call, so a relay that starts probes forward from the head and learns which calls' events
 * are already in the feed; those are taken out, never relayed again.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRelay.name);
  private readonly leases: Leases<string>;
  /** Calls waiting to be relayed, per organization, and whether a relay of that organization runs here. */
  private readonly queued = new Map<string, Map<string, Types.ObjectId>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly lastPurge = new Map<string, number>();
  private readonly relayedListeners: RelayedListener[] = [];
  private sweepTimer?: NodeJS.Timeout;
  private closing = false;
  private readonly retentionMs: number;

  constructor(
    @InjectModel(FeedEvent.name) private readonly events: Model<FeedEvent>,
    @InjectModel(EventHead.name) private readonly heads: Model<EventHead>,
    @InjectModel(EVENT_RELAY_LEASE) leaseModel: Model<LeaseRecord<string>>,
    private readonly outbox: CallOutbox,
    config: ConfigService<Environment, true>,
  ) {
    this.leases = new Leases(leaseModel, LEASE_MS);
    this.retentionMs = config.get('EVENT_RETENTION_DAYS', { infer: true }) * DAY_MS;
  }

  onApplicationBootstrap(): void {
    this.outbox.onWritten((organizationId, callId) => this.enqueue(organizationId, callId));
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    void this.sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  onRelayed(listener: RelayedListener): void {
    this.relayedListeners.push(listener);
  }

  /** Relays the call's outbox soon, with any other calls of its organization waiting here. */
  enqueue(organizationId: string, callId: Types.ObjectId): void {
    if (this.closing) return;
    let calls = this.queued.get(organizationId);
    if (!calls) this.queued.set(organizationId, (calls = new Map()));
    calls.set(callId.toHexString(), callId);
    if (!this.running.has(organizationId)) {
      // The relay works for no request: neither its queries nor its log lines belong to the one that kicked it.
      const run = requestContext.exit(() => this.drain(organizationId)).finally(() => this.running.delete(organizationId));
      this.running.set(organizationId, run);
    }
  }

  /** Every outbox marked in the database, whoever wrote it: what a crash or another replica's busy lease left. */
  private async sweep(): Promise<void> {
    try {
      for (const mark of await this.outbox.marked(SWEEP_BATCH)) this.enqueue(mark.organizationId, mark.callId);
    } catch (error) {
      this.logger.warn(`Could not look for waiting events: ${String(error)}`);
    }
  }

  private async drain(organizationId: string): Promise<void> {
    // Let the writer's lock go first, and more calls of the organization gather into one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (!this.closing) {
      const calls = this.queued.get(organizationId);
      if (!calls || calls.size === 0) {
        this.queued.delete(organizationId);
        return;
      }
      const attempt = await this.leases.tryAcquire(organizationId).catch((error: unknown) => {
        this.logger.warn(`Could not take the event relay lease of organization ${organizationId}: ${String(error)}`);
        return null;
      });
      if (!attempt || !('token' in attempt)) {
        // Another replica relays this organization now; the sweep brings back what it did not take.
        this.queued.delete(organizationId);
        return;
      }
      const batch = [...calls.values()];
      calls.clear();
      try {
        await this.relay(organizationId, batch);
      } catch (error) {
        this.logger.warn(`Could not relay the events of organization ${organizationId}: ${String(error)}`);
      } finally {
        await this.leases.release(organizationId, attempt.token).catch(() => undefined);
      }
    }
  }

  /** Under the organization's lease: relays the calls' outboxes, then moves the head. */
  private async relay(organizationId: string, callIds: Types.ObjectId[]): Promise<void> {
    const started = Date.now();
    const head = (await this.heads.findById(organizationId).lean<EventHead>()) ?? { _id: organizationId, seq: 0, purgedThrough: 0 };
    let seq = head.seq;
    // Events past the head were relayed by a relay that died before moving it: which calls' are they?
    const relayed = new Map<string, number>();
    for (let next = await this.events.findById(eventId(organizationId, seq + 1)).lean<FeedEvent>(); next; next = await this.events.findById(eventId(organizationId, seq + 1)).lean<FeedEvent>()) {
      seq++;
      relayed.set(next.callId, Math.max(relayed.get(next.callId) ?? 0, next.callSeq));
    }
    for (const callId of callIds) {
      if (Date.now() - started > LEASE_MS / 3) {
        // Leave the rest to the next batch, well inside the lease.
        for (const id of callIds.slice(callIds.indexOf(callId))) this.enqueue(organizationId, id);
        break;
      }
      const outbox = await this.outbox.pendingOf(callId);
      const key = callId.toHexString();
      let done = relayed.get(key) ?? 0;
      for (const event of outbox?.events ?? []) {
        if (event.seq <= done) continue;
        if (outbox?.organizationId !== organizationId) break;
        const inserted = await insertUnique(this.events, {
          _id: eventId(organizationId, seq + 1),
          organizationId,
          callId: key,
          callSeq: event.seq,
          type: event.type,
          createdAt: event.createdAt,
          changes: event.changes,
          call: event.call,
        });
        // Only a relay that lost its lease meets a number already taken: stop, and leave it to the holder.
        if (!inserted) throw new LostLease(`event ${eventId(organizationId, seq + 1)} was taken by another relay`);
        crashPoint('after-event-insert');
        seq++;
        done = event.seq;
      }
      if (done > (relayed.get(key) ?? 0)) for (const listener of this.relayedListeners) listener(organizationId);
      await this.outbox.settle(callId, done);
      crashPoint('after-pending-pull');
    }
    if (seq !== head.seq) {
      await this.heads.updateOne({ _id: organizationId }, { $set: { seq }, $setOnInsert: { purgedThrough: head.purgedThrough } }, { upsert: true });
    }
    await this.purge(organizationId, { ...head, seq });
  }

  /**
   * Deletes the organization's events older than the retention, oldest first, and records how far it got,
   * so that the feed answers 410 to an `after` before it. At most every few minutes per organization.
   */
  private async purge(organizationId: string, head: EventHead): Promise<void> {
    const now = Date.now();
    if (now - (this.lastPurge.get(organizationId) ?? 0) < PURGE_EVERY_MS) return;
    this.lastPurge.set(organizationId, now);
    const cutoff = now - this.retentionMs;
    let through = head.purgedThrough;
    for (let count = 0; count < PURGE_BATCH && through < head.seq; count++) {
      const oldest = await this.events.findById(eventId(organizationId, through + 1)).lean<FeedEvent>();
      if (oldest && oldest.createdAt.getTime() >= cutoff) break;
      // Recorded first: a reader is told 410 rather than shown a page with a hole.
      await this.heads.updateOne({ _id: organizationId }, { $set: { purgedThrough: through + 1 } });
      if (oldest) await this.events.deleteOne({ _id: oldest._id });
      through++;
    }
  }
}
