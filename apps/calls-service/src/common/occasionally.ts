/**
 * Says yes at most once per interval. For housekeeping that rides on requests instead of a timer, such
 * as purging what crashed processes left behind: every replica may run it, and each does so rarely.
 */
export class Occasionally {
  private last = 0;

  constructor(private readonly intervalMs: number) {}

  /** True, and counts as done, when the interval has passed since the last time it said true. */
  due(now = Date.now()): boolean {
    if (now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
}
