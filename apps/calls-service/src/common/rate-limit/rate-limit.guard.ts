import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { JWT_VERIFICATION, JwtVerification, requestBearerUser } from '@app/auth';
import { FastifyRequest } from 'fastify';

/**
 * One budget per user, across all routes; per IP address for requests without a valid token. It runs
 * before the bearer guard (see AppModule), so that floods of bad tokens are limited too, and so it
 * verifies the token itself: keyed by an unverified `sub`, anyone could spend another user's budget.
 * The bearer guard then takes the user verified here instead of checking the signature again.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(JWT_VERIFICATION) private readonly verification: JwtVerification,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(request: FastifyRequest): Promise<string> {
    // Kept on the request, so that the bearer guard after this one does not verify the token again.
    const user = requestBearerUser(this.verification, request);
    return user ? `user:${user.userId}` : this.addressTracker(request);
  }

  /**
   * Spends one request of the sender's per-address budget, the one requests without a valid token
   * share, and answers 429 (with Retry-After) once it is spent. For routes that skip the limit because
   * their requests prove themselves otherwise: a provider callback whose signature fails has proved
   * nothing, and must not be a way to make the service check signatures without limit.
   */
  async spendAddressBudget(context: ExecutionContext): Promise<void> {
    for (const throttler of this.throttlers) {
      const ttl = Number(throttler.ttl);
      await this.handleRequest({
        context,
        throttler,
        limit: Number(throttler.limit),
        ttl,
        blockDuration: Number(throttler.blockDuration ?? ttl),
        getTracker: (request) => this.addressTracker(request as FastifyRequest),
        generateKey: (keyContext, tracker, name) => this.generateKey(keyContext, tracker, name),
      });
    }
  }

  private async addressTracker(request: FastifyRequest): Promise<string> {
    // request.ip is the client's address as TRUST_PROXY lets Fastify read it.
    return `ip:${await super.getTracker(request)}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, limit: ThrottlerLimitDetail): Promise<void> {
    throw new ThrottlerException(`Too many requests; try again in ${limit.timeToBlockExpire} s`);
  }
}
