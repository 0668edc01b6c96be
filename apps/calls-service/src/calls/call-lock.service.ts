import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Occasionally } from '../common/occasionally';
import { Leases, LeaseTimeout } from '../database/lease';
import { CallLock } from './schemas/call-lock.schema';

/** Longer than any update takes; a holder that has not released by then is taken to have died. */
export const CALL_LOCK_LEASE_MS = 5_000;
/** A waiter outlasts one lease, so a dead holder's lock is always taken over rather than waited out in vain. */
const WAIT_MS = CALL_LOCK_LEASE_MS + 3_000;
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
  private readonly leases: Leases<Types.ObjectId>;
  private readonly purge = new Occasionally(PURGE_INTERVAL_MS);

  constructor(@InjectModel(CallLock.name) lockModel: Model<CallLock>) {
    this.leases = new Leases(lockModel, CALL_LOCK_LEASE_MS);
  }

  /** @param requestId the request the work is done for, if any: a warning about the lock names it. */
  async withLock<T>(callId: Types.ObjectId, work: () => Promise<T>, requestId?: string): Promise<T> {
    // The lease frees a lock that could not be released anyway; the next writer waits at most that long.
    const onReleaseError = (error: unknown) => this.logger.warn({ requestId }, `Could not release the lock of call ${callId.toHexString()}: ${String(error)}`);
    try {
      return await this.leases.withLease(callId, { waitMs: WAIT_MS, onReleaseError }, work);
    } catch (error) {
      throw error instanceof LeaseTimeout ? new CallLockTimeout() : error;
    } finally {
      this.purgeStale();
    }
  }

  /**
   * A lock left by a crashed holder is taken over by the next writer of that call, but a call that is
   * never written again would keep it for ever. Opportunistic rather than on a timer: every replica may
   * run it, and the delete is idempotent, so replicas need no lease to share it.
   */
  private purgeStale(): void {
    if (!this.purge.due()) return;
    this.leases.purgeExpired(STALE_AFTER_MS).catch((error: unknown) => this.logger.warn(`Could not purge stale call locks: ${String(error)}`));
  }
}
