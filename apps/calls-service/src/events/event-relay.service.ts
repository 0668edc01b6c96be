import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallOutbox, MarkOf, OutboxOf } from '../calls/call-outbox';
import { markId } from '../calls/schemas/outbox-mark.schema';
import { crashPoint } from '../common/test-crash';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases } from '../database/lease';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { EventHead, eventId, FeedEvent, headWrite } from './event.schema';

export const EVENT_RELAY_LEASE = 'EventRelayLease';
/**
 * Longer than a batch may take: a relay takes at most BATCH marks at a time. A relay that died holding it
 * delays its organization's events by at most this long.
 */
const LEASE_MS = 10_000;
/** How long a relay goes on taking batches under one lease: each batch starts with most of the lease left. */
const HOLD_MS = 2_500;
/**
 * Between batches under one lease (only while writes keep coming): what an event may wait for the next batch, to
 * share the batch's five operations with more. 100 ms under the bench's initiate load carries a dozen calls or so a
 * batch; a stream still sees a change well within its second (bench/README.md, Events).
 */
const GATHER_MS = 100;
/** Marks one relay run takes: their calls are read, their events inserted, and the marks deleted, together. */
const BATCH = 100;
/** Database operations of one kind in flight at once, per relay run (only for calls marked whole, and marks without their event). */
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
 * Moves the events waiting in calls' outboxes to the feed, without writing the calls. One relay at a time per
 * organization (a lease). A run takes a batch of the organization's marks (`event_outbox`, one per event, in
 * `_id` order: by call, then in the call's order), reads their calls in one query, inserts the marked events
 * numbered from the head on (`<org>:<seq>`, one ordered insert: the numbers are stored in order, a prefix if it
 * fails), writes the head (`event_heads.seq`) over them, and deletes the batch's marks in one operation. The
 * events stay in their calls; each call's next writer drops those whose marks are gone. Readers read no further
 * than the head, so an event is seen once the head covers it, and a reader never looks up a number that is not
 * stored (on FerretDB such a lookup reads the whole collection).
 *
 * Crash-safe at every step: the head also records `settledThrough`, a number below which every event's mark is
 * gone (the head a run started from, whose marks its predecessor deleted before releasing the lease). A relay
 * that ends before deleting its marks lets its lease run out instead of releasing it, and a relay that takes over
 * a lease that ran out probes forward from `settledThrough` (`<org>:<n+1>`, …, past the head to the first number
 * not stored): the events it finds were inserted by the relay that stopped, each naming its call and its number
 * in the call (`callId`, `callSeq`); it deletes their marks instead of inserting them again, and moves the head
 * over them. Only such a relay looks up a number that may not be stored.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventRelay.name);
  private readonly leases: Leases<string>;
  /** Organizations whose marks are to be read again (true: also when none is found, a lease that ran out), and those whose relay runs here. */
  private readonly queued = new Map<string, boolean>();
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
    this.outbox.onWritten((organizationId) => this.enqueue(organizationId));
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

  /** Relays the organization's waiting events soon; `recovering`: runs even if none is waiting, for a lease that ran out. */
  enqueue(organizationId: string, recovering = false): void {
    if (this.closing) return;
    this.queued.set(organizationId, recovering || (this.queued.get(organizationId) ?? false));
    if (!this.running.has(organizationId)) {
      const run = this.drain(organizationId).finally(() => this.running.delete(organizationId));
      this.running.set(organizationId, run);
    }
  }

  /**
   * Every organization with marks in the database, whoever wrote them (what a crash or another replica's busy
   * lease left), and every relay lease that ran out: its relay stopped, maybe after inserting events (whose marks
   * may be gone then) but before writing the head over them.
   */
  private async sweep(): Promise<void> {
    try {
      for (const organizationId of await this.outbox.markedOrganizations(SWEEP_BATCH)) this.enqueue(organizationId);
      const now = Date.now();
      for (const lease of await this.leases.all()) if (lease.expiresAt.getTime() < now) this.enqueue(lease._id, true);
    } catch (error) {
      this.logger.warn(`Could not look for waiting events: ${String(error)}`);
    }
  }

  private async drain(organizationId: string): Promise<void> {
    // Let the writer's lock go first, and more writes of the organization gather into one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (!this.closing) {
      const recovering = this.queued.get(organizationId);
      if (recovering === undefined) return;
      this.queued.delete(organizationId);
      const attempt = await this.leases.tryAcquire(organizationId).catch((error: unknown) => {
        this.logger.warn(`Could not take the event relay lease of organization ${organizationId}: ${String(error)}`);
        return null;
      });
      if (!attempt || !('token' in attempt)) {
        // Another replica relays this organization now; the sweep brings back what it did not take.
        this.queued.delete(organizationId);
        return;
      }
      const heldSince = Date.now();
      // The head as this relay last wrote it: while it holds the lease, no one else writes it.
      let head: EventHead | undefined;
      try {
        for (let tookOver = attempt.tookOver; ; tookOver = false) {
          const run = await this.relay(organizationId, tookOver, head);
          head = run.head;
          if (run.more) this.queued.set(organizationId, this.queued.get(organizationId) ?? false);
          // Writes that came during the batch make the next one, under the same lease while it has most of its
          // time left (each batch starts with more than LEASE_MS - HOLD_MS of it): no lease or head to read again.
          if (this.closing || !this.queued.has(organizationId) || Date.now() - heldSince > HOLD_MS) break;
          this.queued.delete(organizationId);
          // A moment for more writes to gather: under load a batch's operations are shared by more events.
          await sleep(GATHER_MS);
        }
        await this.leases.release(organizationId, attempt.token).catch(() => undefined);
      } catch (error) {
        this.logger.warn(`Could not relay the events of organization ${organizationId}: ${String(error)}`);
        // Stopped halfway, maybe with events inserted, or under the head, but their marks not deleted: whoever
        // takes the lease next (the sweep sees it ran out) probes from settledThrough for them.
        await this.leases.expire(organizationId, attempt.token).catch(() => undefined);
        this.queued.delete(organizationId);
        return;
      }
    }
  }

  /**
   * Under the organization's lease: relays a batch of its marked events, moves the head over them, then deletes
   * their marks. Answers whether more may be waiting (a full batch that moved something).
   */
  private async relay(organizationId: string, tookOver: boolean, written?: EventHead): Promise<{ more: boolean; head?: EventHead }> {
    const marks = await this.outbox.marksOf(organizationId, BATCH);
    if (marks.length === 0 && !tookOver) return { more: false, head: written };
    // Without its copies of the newest events: the run writes only the copies of its own.
    const head = written ??
      ((await this.heads.collection.findOne({ _id: organizationId as never }, { projection: { copies: 0, recent: 0 } })) as EventHead | null) ?? {
        _id: organizationId,
        seq: 0,
        purgedThrough: 0,
      };
    // A head written before settledThrough existed was written only once its events were settled.
    const settledThrough = head.settledThrough ?? head.seq;
    // The run before released the lease, so it deleted the marks of every event it put under the head; after a
    // takeover, only what the head says.
    const settledNow = tookOver ? settledThrough : head.seq;
    // (A purged event's mark was deleted long before: the probe starts after the last one purged.)
    let seq = Math.max(settledNow, head.purgedThrough);
    // The marks to delete once the head covers their events, and how far each call's events are in the feed.
    const forget: (string | Types.ObjectId)[] = [];
    const relayed = new Map<string, number>();
    // Calls to read: those of the batch's marks, and those of the events the probe finds.
    const wanted = new Map<string, { callId: Types.ObjectId; marks: MarkOf[] }>();
    const want = (callId: Types.ObjectId) => {
      const key = callId.toHexString();
      let entry = wanted.get(key);
      if (!entry) wanted.set(key, (entry = { callId, marks: [] }));
      return entry;
    };
    // The events stored past the head, found by the probe: they go into the head's copies too.
    const pastHead: FeedEvent[] = [];
    if (tookOver) {
      // Taken over from a relay that stopped: the events past settledThrough are its, their marks deleted or not,
      // under the head or not.
      for (;;) {
        const next = (await this.events.collection.findOne({ _id: eventId(organizationId, seq + 1) as never })) as FeedEvent | null;
        if (!next) break;
        seq++;
        if (seq > head.seq) pastHead.push(next);
        relayed.set(next.callId, Math.max(relayed.get(next.callId) ?? 0, next.callSeq));
        forget.push(markId(next.callId, next.callSeq));
        want(new Types.ObjectId(next.callId));
      }
    }
    // Never number an event at or below the head: those numbers are taken.
    seq = Math.max(seq, head.seq);
    for (const mark of marks) want(mark.callId).marks.push(mark);
    const calls = wanted.size > 0 ? await this.outbox.outboxesOf([...wanted.values()].map((entry) => entry.callId)) : [];
    const callsById = new Map(calls.map((call) => [call._id.toHexString(), call]));
    // The batch's events, numbered in the order of the batch, each call's in its order.
    const inserts: FeedEvent[] = [];
    // Marks whose event is not (yet) in its call; calls marked before marks per event, and how far they are relayed.
    const unwritten: { mark: MarkOf; call?: OutboxOf }[] = [];
    const unmarked = new Map<string, { callId: Types.ObjectId; through: number }>();
    for (const [key, { callId, marks: callMarks }] of wanted) {
      const call = callsById.get(key);
      if (call?.organizationId.toHexString() !== organizationId) {
        for (const mark of callMarks) unwritten.push({ mark, call: undefined });
        continue;
      }
      const marked = new Set(callMarks.flatMap((mark) => (mark.seq === null ? [] : [mark.seq])));
      const pending = [...(call.pendingEvents ?? [])].sort((a, b) => a.seq - b.seq);
      let done = relayed.get(key) ?? 0;
      for (const event of pending) {
        // An event of the call's own mark (in this batch), or of a call marked whole (all of its events not marked).
        if (event.marked && !marked.has(event.seq)) continue;
        if (event.seq > done) {
          seq++;
          inserts.push({ _id: eventId(organizationId, seq), organizationId, callId: key, callSeq: event.seq, type: event.type, createdAt: event.createdAt, changes: event.changes, call: event.call });
          done = event.seq;
        }
        if (event.marked) forget.push(markId(callId, event.seq));
      }
      for (const mark of callMarks) {
        if (mark.seq === null) continue;
        if (!pending.some((event) => event.seq === mark.seq)) unwritten.push({ mark, call });
      }
      if (pending.some((event) => !event.marked)) unmarked.set(key, { callId, through: done });
      // A whole call's mark with nothing unmarked left in its call: nothing waits on it.
      else for (const mark of callMarks) if (mark.seq === null) forget.push(mark.id);
    }
    if (inserts.length > 0) {
      // Ordered: stored in number order, and a failure leaves a prefix, never a hole a later probe would stop at.
      // Only a relay that lost its lease meets a number already taken: it stops, and leaves it to the holder.
      await this.events.collection.insertMany(inserts as never[], { ordered: true }).catch((error: unknown) => {
        throw isDuplicateKeyError(error) ? new LostLease(`an event number of ${organizationId} was taken by another relay`) : error;
      });
      crashPoint('after-event-insert');
    }
    if (seq > head.seq || settledNow !== settledThrough) {
      await this.heads.collection.updateOne({ _id: organizationId as never }, headWrite(Math.max(seq, head.seq), settledNow, head.purgedThrough, [...pastHead, ...inserts]), { upsert: true });
      crashPoint('after-head-write');
      if (seq > head.seq) for (const listener of this.relayedListeners) listener(organizationId);
    }
    await this.outbox.forget(forget);
    crashPoint('after-marks-delete');
    // Calls marked before marks per event: their events are taken out of them (the relay's only call writes).
    const settled = await Promise.allSettled(
      inParallel([...unmarked.values()], async ({ callId, through }) => {
        await this.outbox.settleUnmarked(callId, through);
        crashPoint('after-pending-pull');
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await Promise.allSettled(inParallel(unwritten, ({ mark, call }) => this.outbox.discardUnwritten(mark, call)));
    const after: EventHead = { _id: organizationId, seq: Math.max(seq, head.seq), settledThrough: settledNow, purgedThrough: head.purgedThrough };
    after.purgedThrough = await this.purge(organizationId, after);
    return { more: marks.length === BATCH && forget.length > 0, head: after };
  }

  /**
   * Deletes the organization's events older than the retention, oldest first, and records how far it got,
   * so that the feed answers 410 to an `after` before it. At most every few minutes per organization.
   */
  private async purge(organizationId: string, head: EventHead): Promise<number> {
    const now = Date.now();
    if (now - (this.lastPurge.get(organizationId) ?? 0) < PURGE_EVERY_MS) return head.purgedThrough;
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
    return through;
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
