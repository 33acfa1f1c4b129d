/** How the outbox retries a notification that could not be delivered. */
export interface RetryPolicy {
  /** Attempts before a notification is DEAD (NOTIFY_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** The wait after the first failure; it doubles with each further one (NOTIFY_RETRY_BASE_MS). */
  baseDelayMs: number;
  /** The longest wait between attempts. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 3_600_000 };

/** The wait before the next attempt after `attemptsMade` failed ones (1, 2, …): exponential, capped. */
export function retryDelayMs(attemptsMade: number, policy: RetryPolicy): number {
  if (attemptsMade < 1) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attemptsMade - 1, 30));
}

export type DeliveryFailure = { permanent: boolean; message: string };

export type AfterFailure = { status: 'DEAD' } | { status: 'PENDING'; nextAttemptAt: Date };

/**
 * After a failed attempt: DEAD when the failure is permanent (the receiver refused the message
 * itself) or the attempts are used up, else PENDING again after the backoff, moved to the next
 * moment the notification may go (contact hours, for borrowers) by `allowedFrom`.
 */
export function afterFailedAttempt(
  attemptsMade: number,
  failure: DeliveryFailure,
  policy: RetryPolicy,
  now: Date,
  allowedFrom: (instant: Date) => Date = (instant) => instant,
): AfterFailure {
  if (failure.permanent || attemptsMade >= policy.maxAttempts) return { status: 'DEAD' };
  return { status: 'PENDING', nextAttemptAt: allowedFrom(new Date(now.getTime() + retryDelayMs(attemptsMade, policy))) };
}

/** A webhook answer that retrying will not change: 4xx other than 408 (timeout) and 429 (slow down). */
export function isPermanentHttpFailure(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
