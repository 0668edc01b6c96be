import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';

/** How often keys whose window and block have both ended are dropped, as @nestjs/throttler's storage does. */
const SWEEP_INTERVAL_MS = 60_000;

/** What a hit answers: the count, and the seconds left of the window and of a block. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  /** When the window ends; the next hit after that opens a new one at zero. */
  endsAt: number;
  /** When a block ends; 0 while the key is not blocked. */
  blockEndsAt: number;
}

/**
 * The in-process counters, one fixed window per key: a count and when the window ends, O(1) per hit.
 * @nestjs/throttler's own in-memory storage keeps each hit's time and filters them all on every
 * request, so a busy user cost more per request the busier they were (bench/README.md).
 *
 * The figures are those that storage gives while a window lasts: X-RateLimit-Reset counts down to the
 * window's end, the request past the limit blocks the key for `blockDuration` (Retry-After counts that
 * down), and the first request after the block counts as one. The one difference is at a window's end:
 * all its hits are forgotten at once, where that storage forgets each hit `ttl` after it was made.
 *
 * `hit` answers without a promise, which the guard uses; `increment` is the ThrottlerStorage interface.
 */
@Injectable()
export class FixedWindowStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private sweep?: NodeJS.Timeout;

  hit(key: string, ttl: number, limit: number, blockDuration: number, now = Date.now()): ThrottlerStorageRecord {
    this.sweep ??= setInterval(() => this.dropIdle(), SWEEP_INTERVAL_MS).unref();
    let window = this.windows.get(key);
    if (!window) {
      window = { hits: 0, endsAt: now + ttl, blockEndsAt: 0 };
      this.windows.set(key, window);
    } else if (window.endsAt <= now) {
      window.hits = 0;
      window.endsAt = now + ttl;
    }
    if (window.blockEndsAt !== 0 && window.blockEndsAt <= now) {
      window.blockEndsAt = 0;
      window.hits = 0;
    }
    if (window.blockEndsAt === 0) {
      window.hits++;
      if (window.hits > limit) window.blockEndsAt = now + blockDuration;
    }
    const isBlocked = window.blockEndsAt !== 0;
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.endsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockEndsAt - now) / 1000) : 0,
    };
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(key, ttl, limit, blockDuration));
  }

  private dropIdle(now = Date.now()): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now && window.blockEndsAt <= now) this.windows.delete(key);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
    this.windows.clear();
  }
}
