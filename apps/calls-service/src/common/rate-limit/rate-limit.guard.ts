import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerException,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { JWT_VERIFICATION, JwtVerification, requestBearerUser } from '@app/auth';
import { FastifyReply, FastifyRequest } from 'fastify';
import { FixedWindowStorage, ThrottlerStorageRecord } from './fixed-window-storage';

/** @nestjs/throttler's metadata key for `@SkipThrottle()`, followed by the throttler's name. */
const SKIP_KEY = 'THROTTLER:SKIP';

/**
 * One budget per user, across all routes; per IP address for requests without a valid token. It runs
 * before the bearer guard (see AppModule), so that floods of bad tokens are limited too, and so it
 * verifies the token itself: keyed by an unverified `sub`, anyone could spend another user's budget.
 * The bearer guard then takes the user verified here instead of checking the signature again.
 *
 * The limits are the module's (THROTTLE_LIMIT per THROTTLE_TTL_MS), with the headers and 429 answer of
 * @nestjs/throttler's `ThrottlerGuard`, which this replaces: that one awaits its way through every
 * option a route could override (`@Throttle`, trackers, key generators; none is used here, and this
 * guard reads only `@SkipThrottle()`) even on routes that skip it. This one reads the skip mark and,
 * with the in-process storage, answers without creating a promise (bench/README.md, "A second profile").
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly throttlers: readonly ThrottlerOptions[];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly reflector: Reflector,
    @Inject(JWT_VERIFICATION) private readonly verification: JwtVerification,
  ) {
    this.throttlers = Array.isArray(options) ? options : options.throttlers;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const pending: Promise<void>[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      if (this.reflector.getAllAndOverride<boolean>(SKIP_KEY + name, [context.getHandler(), context.getClass()])) continue;
      // Kept on the request, so that the bearer guard after this one does not verify the token again.
      const user = requestBearerUser(this.verification, request);
      const spent = this.spend(context, throttler, user ? `user:${user.userId}` : this.addressTracker(request));
      if (spent) pending.push(spent);
    }
    return pending.length === 0 ? true : Promise.all(pending).then(() => true);
  }

  /**
   * Spends one request of the sender's per-address budget, the one requests without a valid token
   * share, and answers 429 (with Retry-After) once it is spent. For routes that skip the limit because
   * their requests prove themselves otherwise: a provider callback whose signature fails has proved
   * nothing, and must not be a way to make the service check signatures without limit.
   */
  async spendAddressBudget(context: ExecutionContext): Promise<void> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    for (const throttler of this.throttlers) await this.spend(context, throttler, this.addressTracker(request));
  }

  /** One hit on the tracker's key; a promise only when the storage is not the in-process one. */
  private spend(context: ExecutionContext, throttler: ThrottlerOptions, tracker: string): Promise<void> | undefined {
    const name = throttler.name ?? 'default';
    const limit = Number(throttler.limit);
    const ttl = Number(throttler.ttl);
    const blockDuration = Number(throttler.blockDuration ?? ttl);
    const key = `${name}:${tracker}`;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (this.storage instanceof FixedWindowStorage) {
      answer(reply, name, limit, this.storage.hit(key, ttl, limit, blockDuration));
      return undefined;
    }
    return this.storage.increment(key, ttl, limit, blockDuration, name).then((record) => answer(reply, name, limit, record));
  }

  private addressTracker(request: FastifyRequest): string {
    // request.ip is the client's address as TRUST_PROXY lets Fastify read it.
    return `ip:${normalizeIp(request.ip)}`;
  }

}

/** The headers @nestjs/throttler's guard sets, and its 429 once the key is blocked. */
function answer(reply: FastifyReply, name: string, limit: number, record: ThrottlerStorageRecord): void {
  const suffix = name === 'default' ? '' : `-${name}`;
  if (record.isBlocked) {
    reply.header(`Retry-After${suffix}`, record.timeToBlockExpire);
    throw new ThrottlerException(`Too many requests; try again in ${record.timeToBlockExpire} s`);
  }
  reply.header(`X-RateLimit-Limit${suffix}`, limit);
  reply.header(`X-RateLimit-Remaining${suffix}`, Math.max(0, limit - record.totalHits));
  reply.header(`X-RateLimit-Reset${suffix}`, record.timeToExpire);
}
