import { ConflictException, HttpException, Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { Occasionally } from '../common/occasionally';
import { LeaseRecord, Leases } from '../database/lease';
import { IdempotentRequest } from './idempotency-key.decorator';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyId, IdempotencyScope, requestHash } from './idempotency-key';
import { IDEMPOTENCY_LEASE, IdempotencyKey } from './schemas/idempotency-key.schema';

/** How long a key answers repeats. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long an attempt's lease on its key lasts unrenewed. The attempt renews it while it runs, so a
 * lease that lapses belongs to an attempt that died (its process, or its database, went away).
 */
export const IDEMPOTENCY_LEASE_MS = 1_000;
/** A repeat outlasts one unrenewed lease, so an attempt that died is taken over rather than waited out in vain. */
const WAIT_MS = IDEMPOTENCY_LEASE_MS + 250;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 100;
/** What a 409 tells its client to wait: about one lease, by which the running attempt has finished or died. */
const RETRY_AFTER_SECONDS = 1;
/** A claim is released only while its lease has at least this long to run, so nobody can have taken it over. */
const RELEASE_MARGIN_MS = IDEMPOTENCY_LEASE_MS / 2;
/** Expired keys are deleted in bulk, at most this often per process (FerretDB has no TTL index). */
const PURGE_INTERVAL_MS = 60_000;

/**
 * Creates a resource at most once per Idempotency-Key.
 *
 * A key's claim names the id its resource is created with, and is never changed: every attempt on the
 * key creates that same id, so a second attempt's insert collides instead of making a second resource,
 * whatever happened to the first. An attempt runs only while it holds the key's short lease, renewed
 * while it runs; a repeat meanwhile waits briefly for it or is told 409. An attempt that failed in a
 * way whose outcome is unknown (the database went away) leaves the claim: once its lease lapses, a
 * retry carries the same claim out, or finds its resource and answers it. Only an attempt refused
 * with a 4xx, which wrote nothing, releases the claim, and only if no other attempt ever ran on it.
 * Claims and leases are only inserted and deleted (leases also renewed by their holder), because a
 * unique `_id` is the one write MongoDB and FerretDB both make atomic.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly leases: Leases<string>;
  private readonly purge = new Occasionally(PURGE_INTERVAL_MS);

  constructor(
    @InjectModel(IdempotencyKey.name) private readonly keyModel: Model<IdempotencyKey>,
    @InjectModel(IDEMPOTENCY_LEASE) leaseModel: Model<LeaseRecord<string>>,
  ) {
    this.leases = new Leases(leaseModel, IDEMPOTENCY_LEASE_MS);
  }

  async run<T>(
    request: IdempotentRequest,
    scope: IdempotencyScope,
    body: unknown,
    create: (id: Types.ObjectId) => Promise<T>,
    find: (id: Types.ObjectId) => Promise<T | null>,
  ): Promise<T> {
    this.purgeExpired();
    const keyId = idempotencyKeyId(scope, request.key);
    const hash = requestHash(body);
    const deadline = Date.now() + WAIT_MS;
    let firstSeenUntil: number | undefined;
    let delay = FIRST_POLL_MS;
    for (;;) {
      const lease = await this.leases.tryAcquire(keyId);
      if ('token' in lease) return this.carryOut(keyId, lease.token, { scope, hash }, request, create, find);

      // Another attempt holds the key: it may have finished already, or be on another body.
      const claim = await this.liveClaim(keyId);
      if (claim) {
        if (claim.requestHash !== hash) throw differentBody();
        const existing = await find(claim.resourceId);
        if (existing) return replay(request, existing);
      }
      // A holder that renewed its lease is alive and taking long: say so now rather than hold the request.
      const heldUntil = lease.heldUntil.getTime();
      firstSeenUntil ??= heldUntil;
      if (heldUntil > firstSeenUntil || Date.now() + delay > deadline) throw stillRunning(request);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
  }

  /** Carries the key out while holding its lease: the only attempt running on it, unless its lease lapsed. */
  private async carryOut<T>(
    keyId: string,
    token: string,
    { scope, hash }: { scope: IdempotencyScope; hash: string },
    request: IdempotentRequest,
    create: (id: Types.ObjectId) => Promise<T>,
    find: (id: Types.ObjectId) => Promise<T | null>,
  ): Promise<T> {
    const stopRenewing = this.leases.keepAlive(keyId, token);
    try {
      const now = new Date();
      const fresh: IdempotencyKey = {
        _id: keyId,
        requestHash: hash,
        resourceId: new Types.ObjectId(),
        ...owner(scope),
        createdAt: now,
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS),
      };
      const claim = await this.claim(fresh);
      // Claimed under this lease: no other attempt can have run on it.
      const claimedNow = claim === fresh;
      if (!claimedNow) {
        if (claim.requestHash !== hash) throw differentBody();
        const existing = await find(claim.resourceId);
        if (existing) return replay(request, existing);
      }
      try {
        return await create(claim.resourceId);
      } catch (error) {
        // An earlier attempt, whose lease lapsed while it was still at work, created it after all.
        const existing = isDuplicateKeyError(error) ? await find(claim.resourceId) : null;
        if (existing) return replay(request, existing);
        // Refused (404, 422, ...): nothing was written, so a retry may start afresh, even with another body.
        if (claimedNow && isRefusal(error)) await this.release(claim, token, request.requestId);
        throw error;
      }
    } finally {
      stopRenewing();
      await this.leases.release(keyId, token).catch((error: unknown) => {
        // It lapses by itself within a second; a retry then takes the key over.
        this.logger.warn({ requestId: request.requestId }, `Could not release an idempotency key's lease: ${String(error)}`);
      });
    }
  }

  /** The key's live claim: `fresh` if there was none (an expired one is replaced), else the one stored. */
  private async claim(fresh: IdempotencyKey): Promise<IdempotencyKey> {
    for (;;) {
      try {
        await this.keyModel.create(fresh);
        return fresh;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const stored = await this.keyModel.findById(fresh._id).lean<IdempotencyKey>();
      if (stored && stored.expiresAt > new Date()) return stored;
      if (stored) await this.keyModel.deleteOne({ _id: stored._id, resourceId: stored.resourceId });
    }
  }

  private async liveClaim(keyId: string): Promise<IdempotencyKey | null> {
    const claim = await this.keyModel.findById(keyId).lean<IdempotencyKey>();
    return claim && claim.expiresAt > new Date() ? claim : null;
  }

  /** Deletes a claim this attempt made, if its lease shows nobody else can have run on it since. */
  private async release(claim: IdempotencyKey, token: string, requestId: string): Promise<void> {
    try {
      const lease = await this.leases.holder(claim._id);
      if (lease?.token !== token || lease.expiresAt.getTime() - Date.now() < RELEASE_MARGIN_MS) return;
      await this.keyModel.deleteOne({ _id: claim._id, resourceId: claim.resourceId });
    } catch (error) {
      // Kept, the claim still lets a retry with the same body run afresh (on the same resource id).
      this.logger.warn({ requestId }, `Could not release an idempotency key: ${String(error)}`);
    }
  }

  private purgeExpired(): void {
    const now = Date.now();
    if (!this.purge.due(now)) return;
    const warn = (what: string) => (error: unknown) => this.logger.warn(`Could not purge ${what}: ${String(error)}`);
    this.keyModel.deleteMany({ expiresAt: { $lt: new Date(now) } }).exec().catch(warn('expired idempotency keys'));
    // Leases left by a process that died; one a minute stale has no holder that could still renew it.
    this.leases.purgeExpired(PURGE_INTERVAL_MS).catch(warn('stale idempotency leases'));
  }
}

function owner(scope: IdempotencyScope): Pick<IdempotencyKey, 'organizationId' | 'userId'> {
  return { organizationId: new Types.ObjectId(scope.organizationId), userId: new Types.ObjectId(scope.userId) };
}

function replay<T>(request: IdempotentRequest, existing: T): T {
  request.markReplayed();
  return existing;
}

function isRefusal(error: unknown): boolean {
  return error instanceof HttpException && error.getStatus() < 500;
}

function differentBody(): UnprocessableEntityException {
  return new UnprocessableEntityException(`This ${IDEMPOTENCY_KEY_HEADER} was already used with a different request body`);
}

function stillRunning(request: IdempotentRequest): ConflictException {
  request.retryAfter(RETRY_AFTER_SECONDS);
  return new ConflictException(`A request with this ${IDEMPOTENCY_KEY_HEADER} is still being carried out; retry shortly`);
}
