import { Model, QueryFilter, Schema, Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { insertRawUnique } from './unique-insert';

/** One lease, stored as a document of its own: whoever inserted it holds it until it expires. */
export interface LeaseRecord<Id> {
  _id: Id;
  /** Who holds it, so that only the holder renews or releases it. */
  token: string;
  /** After this the holder is taken to have died, and the lease may be taken over. */
  expiresAt: Date;
}

/** Raised when a lease could not be had in time, which only sustained contention (or a live holder) causes. */
export class LeaseTimeout extends Error {
  constructor() {
    super('The lease is held by another request');
  }
}

export interface WithLeaseOptions {
  /** How long to wait for the lease's holder to release it or die. */
  waitMs: number;
  /** Renew the lease while the work runs, for a lease shorter than the work may take. */
  renew?: boolean;
  /** A lease that could not be released lapses by itself; this says so. */
  onReleaseError: (error: unknown) => void;
}

/**
 * What trying once found: the lease is now ours (`tookOver`: from a holder whose lease had run out, which may
 * have died halfway through its work), or another holder's until a time.
 */
export type LeaseAttempt = { token: string; tookOver: boolean } | { heldUntil: Date };

const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 50;
/** Leases taken and released around a taker as fast as it tries: it gives up for now rather than spin. */
const MAX_ROUNDS = 3;

/**
 * Exclusive, expiring leases on ids, one collection per kind of thing leased. A lease is taken by
 * inserting its document: a unique `_id` is the one write both MongoDB and FerretDB make atomic,
 * while FerretDB applies a conditional update as a read followed by a blind write. A holder that
 * neither releases nor renews is taken to have died once its lease expires.
 */
export class Leases<Id extends Types.ObjectId | string> {
  constructor(
    private readonly model: Model<LeaseRecord<Id>>,
    /** How long a lease lasts from when it is taken or last renewed. */
    readonly leaseMs: number,
  ) {}

  /** Takes the lease if it is free or has expired; never waits. */
  async tryAcquire(id: Id): Promise<LeaseAttempt> {
    const token = randomUUID();
    let tookOver = false;
    // Each round ends in an insert that wins, a live holder, or a lease that went away meanwhile: try again.
    for (let round = 0; ; round++) {
      // Through the driver: the lease is complete as written, and a lock is taken for every call write.
      if (await insertRawUnique(this.model.collection, { _id: id, token, expiresAt: new Date(Date.now() + this.leaseMs) } as Partial<LeaseRecord<Id>>)) return { token, tookOver };
      const held = await this.holder(id);
      if (held && held.expiresAt.getTime() >= Date.now()) return { heldUntil: held.expiresAt };
      if (round === MAX_ROUNDS) return { heldUntil: new Date() };
      // Deleting by token removes only the dead holder's lease, never one another taker just inserted.
      if (held) {
        await this.model.deleteOne(byHolder(id, held.token));
        tookOver = true;
      }
    }
  }

  /** Takes the lease, waiting up to `waitMs` for its holder to release it or die. */
  async acquire(id: Id, waitMs: number): Promise<string> {
    const deadline = Date.now() + waitMs;
    let delay = FIRST_RETRY_MS;
    while (Date.now() < deadline) {
      const attempt = await this.tryAcquire(id);
      if ('token' in attempt) return attempt.token;
      // Jittered, growing waits: the waiters spread out instead of retrying in step.
      await sleep(delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 1.5, MAX_RETRY_MS);
    }
    throw new LeaseTimeout();
  }

  /**
   * Runs `work` holding the lease on `id`, renewing it meanwhile if asked; the lease is released after
   * it, or lapses if that fails. Throws LeaseTimeout, before any work, when the lease cannot be had.
   */
  async withLease<T>(id: Id, { waitMs, renew = false, onReleaseError }: WithLeaseOptions, work: () => Promise<T>): Promise<T> {
    const token = await this.acquire(id, waitMs);
    const stopRenewing = renew ? this.keepAlive(id, token) : () => undefined;
    try {
      return await work();
    } finally {
      stopRenewing();
      await this.release(id, token).catch(onReleaseError);
    }
  }

  async release(id: Id, token: string): Promise<void> {
    await this.model.collection.deleteOne(byHolder(id, token) as never);
  }

  /**
   * Lets the lease run out now instead of releasing it: the next taker takes it over (`tookOver`), as it would
   * a dead holder's, for a holder that stopped halfway and wants whoever comes next to look at what it left.
   */
  async expire(id: Id, token: string): Promise<void> {
    await this.model.collection.updateOne(byHolder(id, token) as never, { $set: { expiresAt: new Date(0) } });
  }

  /** Every lease stored now, its holder live or not: few, one per thing being worked on. */
  async all(): Promise<LeaseRecord<Id>[]> {
    return (await this.model.collection.find({}).toArray()) as unknown as LeaseRecord<Id>[];
  }

  /**
   * Keeps renewing the lease while its holder works, a third of a lease apart, so that a short lease
   * tells a live holder from a dead one quickly. Returns the function that stops it. A renewal that
   * fails is left to the next; if none succeeds the lease lapses, as a dead holder's would.
   * On FerretDB a renewal is a read and then a blind write: one that read just before its lease was
   * taken over writes the lease back over the new holder's. Renew only where two holders at once are
   * harmless (idempotency: every attempt writes the same call id); otherwise use a lease longer than
   * the work.
   */
  keepAlive(id: Id, token: string): () => void {
    const timer = setInterval(() => {
      void this.model.updateOne(byHolder(id, token), { $set: { expiresAt: new Date(Date.now() + this.leaseMs) } }).catch(() => undefined);
    }, this.leaseMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Deletes the leases that expired over `staleAfterMs` ago: their holders died and nobody took them over. */
  async purgeExpired(staleAfterMs: number): Promise<void> {
    await this.model.deleteMany({ expiresAt: { $lt: new Date(Date.now() - staleAfterMs) } } as QueryFilter<LeaseRecord<Id>>);
  }

  /** The lease's holder and expiry as stored now, or null when nobody holds it. */
  async holder(id: Id): Promise<LeaseRecord<Id> | null> {
    return this.model.findById(id).lean<LeaseRecord<Id>>();
  }
}

/** The lease on `id` if `token` holds it. (Typed by hand: mongoose cannot resolve a filter on a generic `_id`.) */
function byHolder<Id>(id: Id, token: string): QueryFilter<LeaseRecord<Id>> {
  return { _id: id, token } as QueryFilter<LeaseRecord<Id>>;
}

/** The schema of a lease collection: nothing but the unique `_id`, so a lease is one insert. */
export function leaseSchema(collection: string, idType: typeof String | typeof Types.ObjectId): Schema {
  return new Schema(
    {
      _id: { type: idType, required: true },
      token: { type: String, required: true },
      expiresAt: { type: Date, required: true },
    },
    { collection, versionKey: false },
  );
}
