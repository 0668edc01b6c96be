import { ConflictException, Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { IdempotentRequest } from './idempotency-key.decorator';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyId, IdempotencyScope, requestHash } from './idempotency-key';
import { IdempotencyKey } from './schemas/idempotency-key.schema';

/** How long a key answers repeats. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose resource still does not exist after this is taken to belong to a request that died. */
const ABANDONED_AFTER_MS = 30_000;
/** How long a repeat waits for the first request to finish before asking its client to retry. */
const WAIT_MS = 5_000;
const POLL_MS = 50;
/** Expired keys are deleted in bulk, at most this often per process (FerretDB has no TTL index). */
const PURGE_INTERVAL_MS = 60_000;

/**
 * Creates a resource at most once per Idempotency-Key. The first request inserts a claim naming the
 * id the resource will have; a repeat finds the claim and answers that resource. Claims are only
 * inserted and deleted, and the resource is created with the claimed id, so the unique `_id`s (atomic
 * on MongoDB and FerretDB alike) are what make concurrent repeats safe.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  private lastPurge = 0;

  constructor(@InjectModel(IdempotencyKey.name) private readonly keyModel: Model<IdempotencyKey>) {}

  async run<T>(
    request: IdempotentRequest,
    scope: IdempotencyScope,
    body: unknown,
    create: (id: Types.ObjectId) => Promise<T>,
    find: (id: Types.ObjectId) => Promise<T | null>,
  ): Promise<T> {
    this.purgeExpiredKeys();
    const _id = idempotencyKeyId(scope, request.key);
    const hash = requestHash(body);
    const deadline = Date.now() + WAIT_MS;
    do {
      const now = new Date();
      const resourceId = new Types.ObjectId();
      if (await this.tryClaim({ _id, requestHash: hash, resourceId, ...owner(scope), createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS) })) {
        return this.createOnce(_id, resourceId, request, create, find);
      }
      const claim = await this.keyModel.findById(_id).lean<IdempotencyKey>();
      if (!claim) continue;
      if (claim.expiresAt <= now) {
        await this.keyModel.deleteOne({ _id, resourceId: claim.resourceId });
        continue;
      }
      if (claim.requestHash !== hash) {
        throw new UnprocessableEntityException(`This ${IDEMPOTENCY_KEY_HEADER} was already used with a different request body`);
      }
      const existing = await find(claim.resourceId);
      if (existing) {
        request.markReplayed();
        return existing;
      }
      if (now.getTime() - claim.createdAt.getTime() > ABANDONED_AFTER_MS) {
        // Its first request died before creating the resource: create it now, with the same id.
        return this.createOnce(_id, claim.resourceId, request, create, find);
      }
      await sleep(POLL_MS);
    } while (Date.now() < deadline);
    throw new ConflictException(`A request with this ${IDEMPOTENCY_KEY_HEADER} is still being carried out; retry shortly`);
  }

  private async tryClaim(claim: IdempotencyKey): Promise<boolean> {
    try {
      await this.keyModel.create(claim);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async createOnce<T>(
    keyId: string,
    resourceId: Types.ObjectId,
    request: IdempotentRequest,
    create: (id: Types.ObjectId) => Promise<T>,
    find: (id: Types.ObjectId) => Promise<T | null>,
  ): Promise<T> {
    try {
      return await create(resourceId);
    } catch (error) {
      // Another attempt with the same claim got there first: answer what it created.
      const existing = isDuplicateKeyError(error) ? await find(resourceId) : null;
      if (existing) {
        request.markReplayed();
        return existing;
      }
      // Failed requests (404, 422, ...) release the key, so that a retry runs afresh.
      await this.keyModel.deleteOne({ _id: keyId, resourceId }).catch((deleteError: unknown) => {
        this.logger.warn(`Could not release an idempotency key: ${String(deleteError)}`);
      });
      throw error;
    }
  }

  private purgeExpiredKeys(): void {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    this.keyModel
      .deleteMany({ expiresAt: { $lt: new Date(now) } })
      .exec()
      .catch((error: unknown) => this.logger.warn(`Could not purge expired idempotency keys: ${String(error)}`));
  }
}

function owner(scope: IdempotencyScope): Pick<IdempotencyKey, 'organizationId' | 'userId'> {
  return { organizationId: new Types.ObjectId(scope.organizationId), userId: new Types.ObjectId(scope.userId) };
}
