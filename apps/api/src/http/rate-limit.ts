import { createHash } from 'node:crypto';
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

/** Fixed one-minute windows: count every key, set its window on the first hit, return counts and ms left. */
const HIT = `
local out = {}
for _, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  out[#out + 1] = n
  out[#out + 1] = redis.call('PTTL', key)
end
return out`;
const HIT_SHA = createHash('sha1').update(HIT).digest('hex');

const WINDOW_MS = 60_000;

export interface RateLimitOptions {
  redis: Redis;
  keyPrefix: string;
  perAddressPerMinute: number;
  perUserPerMinute: number;
  metrics: Metrics;
}

const COUNTED = Symbol('rate-limit-counted');
type Counted = Request & { [COUNTED]?: true };

/**
 * Rate limits per client address and per signed-in user, counted in Redis so that every API
 * process shares the budget, in one Redis round trip per request: requests without a token are
 * counted by address on arrival; requests with one are counted by address and user once the token
 * checks out, or by address alone when it does not. Over a limit: 429 RATE_LIMITED with
 * Retry-After. If Redis does not answer at once the request goes through: limits protect the
 * service, they must not take payments down with Redis.
 */
export function rateLimits(options: RateLimitOptions) {
  const windowKey = (scope: string, who: string) =>
    `${options.keyPrefix}:rate:${scope}:${who}:${Math.floor(Date.now() / WINDOW_MS)}`;

  // By digest: the script text crosses the wire only after Redis has forgotten it (a restart).
  async function hit(keys: string[]): Promise<number[]> {
    try {
      return (await options.redis.evalsha(HIT_SHA, keys.length, ...keys, String(WINDOW_MS))) as number[];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await options.redis.eval(HIT, keys.length, ...keys, String(WINDOW_MS))) as number[];
    }
  }

  async function check(req: Request, res: Response, user: string | undefined): Promise<RateLimitedError | null> {
    (req as Counted)[COUNTED] = true;
    const checks: { scope: 'address' | 'user'; limit: number; key: string }[] = [];
    if (options.perAddressPerMinute > 0) {
      checks.push({ scope: 'address', limit: options.perAddressPerMinute, key: windowKey('address', req.socket.remoteAddress ?? 'unknown') });
    }
    if (user !== undefined && options.perUserPerMinute > 0) {
      checks.push({ scope: 'user', limit: options.perUserPerMinute, key: windowKey('user', user) });
    }
    if (checks.length === 0) return null;
    let result: number[];
    try {
      result = await hit(checks.map((c) => c.key));
    } catch {
      return null;
    }
    for (const [index, limitCheck] of checks.entries()) {
      const count = Number(result[index * 2]);
      const ttlMs = Number(result[index * 2 + 1]);
      if (count > limitCheck.limit) {
        const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
        res.setHeader('Retry-After', String(retryAfter));
        options.metrics.rateLimited.inc({ scope: limitCheck.scope });
        return new RateLimitedError(retryAfter, limitCheck.scope);
      }
    }
    return null;
  }

  return {
    /** Before authentication: counts requests that carry no token (sign-in, scanners). */
    anonymous: async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.headers.authorization !== undefined) {
        next();
        return;
      }
      next((await check(req, res, undefined)) ?? undefined);
    },
    /** After authentication: counts the request by address and by user. */
    authenticated: async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      next((await check(req, res, req.principal?.sub)) ?? undefined);
    },
    /** On the error path: a request whose token failed is counted by address (and may become a 429). */
    failed: async (error: unknown, req: Request, res: Response, next: NextFunction): Promise<void> => {
      if ((req as Counted)[COUNTED] || !(error instanceof LoanOpsError) || error.status !== 401) {
        next(error);
        return;
      }
      next((await check(req, res, undefined)) ?? error);
    },
  };
}
