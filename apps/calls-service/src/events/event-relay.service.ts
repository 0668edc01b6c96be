import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { CallOutbox } from '../calls/call-outbox';
import { requestContext } from '../common/logging/request-context';
import { crashPoint } from '../common/test-crash';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases } from '../database/lease';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { EventHead, eventId, FeedEvent, recentEvents, seqOf } from './event.schema';

export const EVENT_RELAY_LEASE = 'EventRelayLease';
/**
 * Longer than a batch may take: a relay takes at most BATCH calls at a time. A relay that died holding it
 * delays its organization's events by at most this long.
 */
const LEASE_MS = 10_000;
/** Calls one relay run takes: their outboxes are read, their events inserted, and they are settled, together. */
const BATCH = 100;
/** Database operations of one kind in flight at once, per relay run. */
const AT_ONCE = 25;
/** How often every replica looks for outboxes nobody relayed (a crash, or a lease held elsewhere). */
const SWEEP_MS = 1_000;
const SWEEP_BATCH = 500;
/** How often (at most, per organization and process) events older than the retention are purged. */
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 1_000;
const DAY_MS = 86_400_000;

class LostLease extends Error {}

/** Told when the relay has moved an organization's head, so that this process's streams and webhooks need not wait for a poll. */
export type RelayedListener = (organizationId: string) => void;

/**
 * Moves the events waiting in calls' outboxes to the feed. One relay at a time per organization (a lease).
 * A run takes a batch of calls: it reads their outboxes, inserts their events numbered from the head on
 * (`<org>:<seq>`, one ordered insert: the numbers are stored in order, a prefix if it fails), writes the head
 * (`event_heads.seq`) over them, and then takes them out of their calls. Readers read no further than the
 * head, so an event is seen once the head covers it, and a reader never looks up a number that is not stored
 * (on FerretDB such a lookup reads the whole collection).
 *
 * Crash-safe at every step: the head also records `settledThrough`, a number below which every event was
 * taken out of its call (the head a run started from, which its predecessor settled before releasing the
 * lease). A relay that ends before settling lets its lease run out instead of releasing it, and a relay that
 * takes over a lease that ran out probes forward from `settledThrough` (`<org>:<n+1>`, …, past the head to
 * the first number not stored): the events it finds were inserted by the relay that stopped, and it takes them
 * out of their calls instead of inserting them again, moving the head over them. Only such a relay looks up
 * a number that may not be stored.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRelay.name);
  private readonly leases: Leases<string>;
  /** Calls waiting to be relayed, per organization, and whether a relay of that organization runs here. */
  private readonly queued = new Map<string, Map<string, Types.ObjectId>>();
  private readonly running = new Map<string, Promise<void>>();
  /** The calls of the run in progress, per organization: the sweep, which still sees their marks, leaves them be. */
  private readonly inFlight = new Map<string, Set<string>>();
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

  /** Relays the call's outbox soon, with any other calls of its organization waiting here; without a call, looks at a lease that ran out. */
  enqueue(organizationId: string, callId?: Types.ObjectId): void {
    if (this.closing) return;
    let calls = this.queued.get(organizationId);
    if (!calls) this.queued.set(organizationId, (calls = new Map()));
    if (callId) calls.set(callId.toHexString(), callId);
    if (!this.running.has(organizationId)) {
      // The relay works for no request: neither its queries nor its log lines belong to the one that kicked it.
      const run = requestContext.exit(() => this.drain(organizationId, !callId)).finally(() => this.running.delete(organizationId));
      this.running.set(organizationId, run);
    }
  }

  /**
   * Every outbox marked in the database, whoever wrote it (what a crash or another replica's busy lease left),
   * and every relay lease that ran out: its relay stopped, maybe after taking events out of their calls (whose
   * marks are gone then) but before writing the head over them.
   */
  private async sweep(): Promise<void> {
    try {
      for (const mark of await this.outbox.marked(SWEEP_BATCH)) {
        if (!this.inFlight.get(mark.organizationId)?.has(mark.callId.toHexString())) this.enqueue(mark.organizationId, mark.callId);
      }
      const now = Date.now();
      for (const lease of await this.leases.all()) if (lease.expiresAt.getTime() < now) this.enqueue(lease._id);
    } catch (error) {
      this.logger.warn(`Could not look for waiting events: ${String(error)}`);
    }
  }

  private async drain(organizationId: string, recovering: boolean): Promise<void> {
    // Let the writer's lock go first, and more calls of the organization gather into one batch.
    await new Promise((resolve) => setImmediate(resolve));
    for (let first = true; !this.closing; first = false) {
      const calls = this.queued.get(organizationId);
      if (!calls || (calls.size === 0 && !(first && recovering))) {
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
      const batch = [...calls.values()].slice(0, BATCH);
      for (const callId of batch) calls.delete(callId.toHexString());
      this.inFlight.set(organizationId, new Set(batch.map((callId) => callId.toHexString())));
      try {
        await this.relay(organizationId, batch, attempt.tookOver);
        await this.leases.release(organizationId, attempt.token).catch(() => undefined);
      } catch (error) {
        this.logger.warn(`Could not relay the events of organization ${organizationId}: ${String(error)}`);
        // Stopped halfway, maybe with events inserted, or under the head, but not out of their calls: whoever
        // takes the lease next (the sweep sees it ran out) probes from settledThrough for them. The calls not
        // settled keep their marks.
        await this.leases.expire(organizationId, attempt.token).catch(() => undefined);
        return;
      } finally {
        this.inFlight.delete(organizationId);
      }
    }
  }

  /** Under the organization's lease: relays the calls' outboxes, moves the head over their events, then settles the calls. */
  private async relay(organizationId: string, callIds: Types.ObjectId[], tookOver: boolean): Promise<void> {
    const head = ((await this.heads.collection.findOne({ _id: organizationId as never })) as EventHead | null) ?? { _id: organizationId, seq: 0, purgedThrough: 0 };
    // A head written before settledThrough existed was written only once its events were settled.
    const settledThrough = head.settledThrough ?? head.seq;
    // The run before released the lease, so it settled every event it put under the head; after a takeover,
    // only what the head says.
    const settledNow = tookOver ? settledThrough : head.seq;
    // (A purged event was settled long before: the probe starts after the last one purged.)
    let seq = Math.max(settledNow, head.purgedThrough);
    // Taken over from a relay that stopped: the events past settledThrough are its, out of their calls or not,
    // under the head or not. Which calls' are they? They are settled in this run, queued or not.
    const relayed = new Map<string, number>();
    const batch = new Map(callIds.map((id) => [id.toHexString(), id]));
    // The events stored past the head, found by the probe: they go into the head's copies too.
    const pastHead: FeedEvent[] = [];
    if (tookOver) {
      for (;;) {
        const next = (await this.events.collection.findOne({ _id: eventId(organizationId, seq + 1) as never })) as FeedEvent | null;
        if (!next) break;
        seq++;
        if (seq > head.seq) pastHead.push(next);
        relayed.set(next.callId, Math.max(relayed.get(next.callId) ?? 0, next.callSeq));
        if (!batch.has(next.callId)) batch.set(next.callId, new Types.ObjectId(next.callId));
      }
    }
    // Never number an event at or below the head: those numbers are taken.
    seq = Math.max(seq, head.seq);
    const calls = [...batch.values()];
    const outboxes = await Promise.all(inParallel(calls, (callId) => this.outbox.pendingOf(callId)));
    // The batch's events, numbered in the order of the batch, and how far each call's outbox is then relayed.
    const inserts: FeedEvent[] = [];
    const settleTo = calls.map((callId, index) => {
      const key = callId.toHexString();
      const outbox = outboxes[index];
      let done = relayed.get(key) ?? 0;
      if (outbox?.organizationId !== organizationId) return done;
      for (const event of outbox.events) {
        if (event.seq <= done) continue;
        seq++;
        inserts.push({ _id: eventId(organizationId, seq), organizationId, callId: key, callSeq: event.seq, type: event.type, createdAt: event.createdAt, changes: event.changes, call: event.call });
        done = event.seq;
      }
      return done;
    });
    if (inserts.length > 0) {
      // Ordered: stored in number order, and a failure leaves a prefix, never a hole a later probe would stop at.
      // Only a relay that lost its lease meets a number already taken: it stops, and leaves it to the holder.
      await this.events.collection.insertMany(inserts as never[], { ordered: true }).catch((error: unknown) => {
        throw isDuplicateKeyError(error) ? new LostLease(`an event number of ${organizationId} was taken by another relay`) : error;
      });
      crashPoint('after-event-insert');
    }
    if (seq > head.seq || settledNow !== settledThrough) {
      await this.heads.collection.updateOne(
        { _id: organizationId as never },
        {
          $set: { seq: Math.max(seq, head.seq), settledThrough: settledNow, recent: recentEvents(head.recent ?? [], [...pastHead, ...inserts]) },
          $setOnInsert: { purgedThrough: head.purgedThrough },
        },
        { upsert: true },
      );
      crashPoint('after-head-write');
      if (seq > head.seq) for (const listener of this.relayedListeners) listener(organizationId);
    }
    const settled = await Promise.allSettled(
      inParallel(calls, async (callId, index) => {
        await this.outbox.settle(callId, settleTo[index]);
        crashPoint('after-pending-pull');
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await this.purge(organizationId, { ...head, seq: Math.max(seq, head.seq) });
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
      // At most the head: a number it covers is stored (or purged), so this finds its document or a purged one.
      const oldest = (await this.events.collection.findOne({ _id: eventId(organizationId, through + 1) as never })) as FeedEvent | null;
      if (oldest && oldest.createdAt.getTime() >= cutoff) break;
      // Recorded first: a reader is told 410 rather than shown a page with a hole.
      await this.heads.collection.updateOne({ _id: organizationId as never }, { $set: { purgedThrough: through + 1 } });
      if (oldest) await this.events.collection.deleteOne({ _id: oldest._id as never });
      through++;
    }
  }
}

/** `work` for every item, at most AT_ONCE at a time, started in the items' order; its answers, in that order. */
function inParallel<T, R>(items: T[], work: (item: T, index: number) => Promise<R>): Promise<R>[] {
  const results: Promise<R>[] = [];
  const done: Promise<unknown>[] = [];
  items.forEach((item, index) => {
    const result = (done[index - AT_ONCE] ?? Promise.resolve()).then(() => work(item, index));
    results.push(result);
    done.push(result.catch(() => undefined));
  });
  return results;
}
