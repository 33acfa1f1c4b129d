import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { signIn, type SignInPolicy } from '@loanops/auth';
import type { Database } from '@loanops/db';
import type { Metrics } from '@loanops/observability';
import { parseInput } from '../http/validate.js';

export const tokenRequest = z.strictObject({
  email: z.string({ error: 'must be an e-mail address' }).min(3).max(254),
  password: z.string({ error: 'is required' }).min(1, 'is required').max(200),
});

/** POST /v1/auth/token: e-mail and password to a bearer token (the one /v1 route without a token). */
export function authRoutes(
  app: Express,
  deps: { db: Kysely<Database>; redis: Redis; policy: SignInPolicy; metrics: Metrics },
): void {
  app.post('/v1/auth/token', async (req, res) => {
    const { email, password } = parseInput(tokenRequest, req.body);
    try {
      const token = await signIn(
        deps.db,
        deps.redis,
        { email, password, address: req.socket.remoteAddress ?? 'unknown', requestId: req.requestId },
        deps.policy,
      );
      req.log.info({ role: token.role }, 'signed in');
      res.json(token);
    } catch (error) {
      deps.metrics.authFailures.inc({ reason: 'sign-in' });
      if (error instanceof Error && 'retryAfterSeconds' in error) {
        res.setHeader('Retry-After', String((error as { retryAfterSeconds: number }).retryAfterSeconds));
      }
      throw error;
    }
  });
}
