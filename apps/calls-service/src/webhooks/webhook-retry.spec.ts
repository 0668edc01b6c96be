import { isSuccess, nextAttemptDelay } from './webhook-retry';

describe('nextAttemptDelay', () => {
  const schedule = [5_000, 30_000, 120_000];

  it.each([
    [1, 0, 5_000],
    [1, 1, 5_500],
    [2, 0.5, 31_500],
    [3, 0, 120_000],
  ])('after %i failed attempts (random %d) waits %i ms', (failures, random, wait) => {
    expect(nextAttemptDelay(schedule, failures, () => random)).toBe(wait);
  });

  it('gives up once the schedule has run out', () => {
    expect(nextAttemptDelay(schedule, 4)).toBeNull();
  });
});

describe('isSuccess', () => {
  it.each([
    [200, true],
    [204, true],
    [299, true],
    [301, false],
    [410, false],
    [500, false],
    [null, false],
  ])('%s → %s', (status, success) => {
    expect(isSuccess(status)).toBe(success);
  });
});
