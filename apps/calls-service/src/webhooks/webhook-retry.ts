/** Up to this share of a wait is added at random, so that retries of many deliveries spread out. */
const JITTER = 0.1;

/**
 * When the next attempt is due after `attemptsInRound` failed attempts since the delivery was queued (or
 * retried by hand), or null when the schedule has run out and the delivery has failed.
 */
export function nextAttemptDelay(schedule: number[], attemptsInRound: number, random: () => number = Math.random): number | null {
  const wait = schedule[attemptsInRound - 1];
  if (wait === undefined) return null;
  return Math.round(wait * (1 + JITTER * random()));
}

export const isSuccess = (statusCode: number | null): boolean => statusCode !== null && statusCode >= 200 && statusCode < 300;
