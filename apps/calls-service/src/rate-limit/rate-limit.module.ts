import { DynamicModule, Module, Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { Environment } from '../config/environment';
import { FixedWindowStorage } from '../common/rate-limit/fixed-window-storage';
import { RateLimitGuard } from '../common/rate-limit/rate-limit.guard';

const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

@Module({})
class RateLimitStorageModule {}

export interface RateLimitOptions {
  /**
   * Where the counters live. The default keeps them in this process's memory, one fixed window per
   * key (FixedWindowStorage), so each replica counts on its own and N replicas allow N × THROTTLE_LIMIT. To share one budget between replicas, pass a
   * ThrottlerStorage backed by a shared store (Redis, say); it is built by Nest, so it can inject config.
   */
  storage?: Type<ThrottlerStorage>;
}

/** THROTTLE_LIMIT requests per THROTTLE_TTL_MS for each user (or IP address); see RateLimitGuard. */
@Module({})
export class RateLimitModule {
  static forRoot({ storage = FixedWindowStorage }: RateLimitOptions = {}): DynamicModule {
    const storageModule: DynamicModule = {
      module: RateLimitStorageModule,
      providers: [{ provide: RATE_LIMIT_STORAGE, useClass: storage }],
      exports: [RATE_LIMIT_STORAGE],
    };
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRootAsync({
          imports: [storageModule],
          inject: [ConfigService, RATE_LIMIT_STORAGE],
          useFactory: (config: ConfigService<Environment, true>, counters: ThrottlerStorage) => ({
            throttlers: [{ limit: config.get('THROTTLE_LIMIT', { infer: true }), ttl: config.get('THROTTLE_TTL_MS', { infer: true }) }],
            storage: counters,
          }),
        }),
      ],
      // One instance: the global guard, and the one routes that skip it call on (spendAddressBudget).
      providers: [RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }],
      exports: [RateLimitGuard],
      global: true,
    };
  }
}
