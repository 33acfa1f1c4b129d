import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { LoanOpsError } from '@loanops/domain';
import type { Metrics } from '@loanops/observability';

export class RateLimitedError extends LoanOpsError {
  constructor(readonly retryAfterSeconds: number, scope: string) {
    super('RATE_LIMITED', `too many requests from this ${scope}; retry after ${retryAfterSeconds} s`, { status: 429 });
    this.name = 'RateLimitedError';
  }
}

/** A fixed one-minute window: count, set the window on the first hit, return the count and ms left. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }`;

const WINDOW_MS = 60_000;

/**
 * Rate limit by address (before authentication) or by user (after it), counted in Redis so every
 * API process shares the budget. Over the limit: 429 RATE_LIMITED with Retry-After. If Redis does
 * not answer at once the request goes through (limits protect the service; they must not take
 * payments down with Redis).
 */
export function rateLimit(options: {
  redis: Redis;
  keyPrefix: string;
  scope: 'address' | 'user';
  perMinute: number;
  metrics: Metrics;
}) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const who = options.scope === 'address' ? req.socket.remoteAddress ?? 'unknown' : req.principal?.sub;
    if (who === undefined || options.perMinute <= 0) {
      next();
      return;
    }
    const key = `${options.keyPrefix}:rate:${options.scope}:${who}:${Math.floor(Date.now() / WINDOW_MS)}`;
    let result: [number, number];
    try {
      result = (await options.redis.eval(HIT, 1, key, String(WINDOW_MS))) as [number, number];
    } catch {
      next();
      return;
    }
    const [count, ttlMs] = result;
    res.setHeader(`X-RateLimit-Remaining-${options.scope === 'address' ? 'Address' : 'User'}`, String(Math.max(0, options.perMinute - count)));
    if (count > options.perMinute) {
      const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      options.metrics.rateLimited.inc({ scope: options.scope });
      next(new RateLimitedError(retryAfter, options.scope));
      return;
    }
    next();
  };
}
