import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { CallLock } from './schemas/call-lock.schema';

/** Longer than any update takes; a holder that has not released by then is taken to have died. */
export const CALL_LOCK_LEASE_MS = 5_000;
/** A waiter outlasts one lease, so a dead holder's lock is always taken over rather than waited out in vain. */
const WAIT_MS = CALL_LOCK_LEASE_MS + 3_000;
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 50;
/**
 * Locks whose lease ran out this long ago are purged: their holders died (a crash between taking and
 * releasing). The margin keeps the purge well clear of a lock being taken over right now.
 */
const STALE_AFTER_MS = 60_000;
/** The purge runs at most this often per process, on the way out of a lock. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** Raised when the lock could not be had in time, which only sustained contention causes. */
export class CallLockTimeout extends Error {
  constructor() {
    super('The call is being updated by other requests');
  }
}

/**
 * Serialises writes to one call. MongoDB alone would not need it: a conditional findOneAndUpdate is
 * atomic there. FerretDB applies the same command as a read and then a blind write of the whole
 * document, so two racing updates can both pass the condition and the later one wins, even one that
 * moves the call backwards. Inserting a lock document is atomic on both, so it is what decides.
 */
@Injectable()
export class CallLockService {
  private readonly logger = new Logger(CallLockService.name);
  private lastPurge = 0;

  constructor(@InjectModel(CallLock.name) private readonly lockModel: Model<CallLock>) {}

  async withLock<T>(callId: Types.ObjectId, work: () => Promise<T>): Promise<T> {
    const token = await this.acquire(callId);
    try {
      return await work();
    } finally {
      await this.lockModel.deleteOne({ _id: callId, token }).catch((error: unknown) => {
        // The lease frees it anyway; the next writer waits at most that long.
        this.logger.warn(`Could not release the lock of call ${callId.toHexString()}: ${String(error)}`);
      });
      this.purgeStale();
    }
  }

  /**
   * A lock left by a crashed holder is taken over by the next writer of that call, but a call that is
   * never written again would keep it for ever. Opportunistic rather than on a timer: every replica may
   * run it, and the delete is idempotent, so replicas need no lease to share it.
   */
  private purgeStale(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    this.lockModel
      .deleteMany({ expiresAt: { $lt: new Date(now - STALE_AFTER_MS) } })
      .exec()
      .catch((error: unknown) => this.logger.warn(`Could not purge stale call locks: ${String(error)}`));
  }

  private async acquire(callId: Types.ObjectId): Promise<string> {
    const token = randomUUID();
    const deadline = Date.now() + WAIT_MS;
    let delay = FIRST_RETRY_MS;
    while (Date.now() < deadline) {
      try {
        await this.lockModel.create({ _id: callId, token, expiresAt: new Date(Date.now() + CALL_LOCK_LEASE_MS) });
        return token;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const held = await this.lockModel.findById(callId).lean<CallLock>();
      if (held && held.expiresAt.getTime() < Date.now()) {
        await this.lockModel.deleteOne({ _id: callId, token: held.token });
        continue;
      }
      // Jittered, growing waits: the waiters spread out instead of retrying in step.
      await sleep(delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 1.5, MAX_RETRY_MS);
    }
    throw new CallLockTimeout();
  }
}
