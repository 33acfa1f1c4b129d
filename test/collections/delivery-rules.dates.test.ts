import { describe, expect, it } from 'vitest';
import { afterFailedAttempt, isPermanentHttpFailure, nextContactTime, retryDelayMs } from '@loanops/collections';

const policy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 5_000 };

describe('outbox retries', () => {
  it.each([
    [0, 0],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 5_000],
    [40, 5_000],
  ])('after %i failed attempts the wait is %i ms', (attempts, delay) => {
    expect(retryDelayMs(attempts, policy)).toBe(delay);
  });

  it('retries until the last attempt, then dead-letters', () => {
    const now = new Date('2026-03-10T06:00:00Z');
    expect(afterFailedAttempt(4, { permanent: false, message: 'x' }, policy, now)).toEqual({
      status: 'PENDING',
      nextAttemptAt: new Date('2026-03-10T06:00:05Z'),
    });
    expect(afterFailedAttempt(5, { permanent: false, message: 'x' }, policy, now)).toEqual({ status: 'DEAD' });
    expect(afterFailedAttempt(1, { permanent: true, message: 'x' }, policy, now)).toEqual({ status: 'DEAD' });
  });

  it('a retry that falls after 19:00 IST waits for 08:00 IST', () => {
    const now = new Date('2026-03-10T18:59:58+05:30');
    expect(afterFailedAttempt(3, { permanent: false, message: 'x' }, policy, now, nextContactTime)).toEqual({
      status: 'PENDING',
      nextAttemptAt: new Date('2026-03-11T08:00:00+05:30'),
    });
  });

  it.each([
    [400, true],
    [404, true],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
  ])('HTTP %i is permanent: %s', (status, permanent) => {
    expect(isPermanentHttpFailure(status)).toBe(permanent);
  });
});
