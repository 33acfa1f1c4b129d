import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '@loanops/db';
import { operationsStatus, switchQueue, type FeatureFlags } from '@loanops/operations';
import type { Queues } from '@loanops/queues';
import { principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';

export interface AdminQueueRoutesDeps {
  db: Kysely<Database>;
  queues: Queues;
  flags: FeatureFlags;
}

export const queueNameParam = z.object({ name: z.string().min(1).max(100) });
export const queueSwitchBody = z.strictObject({
  reason: z.string().trim().min(1, 'must not be blank').max(500, 'must be at most 500 characters').optional(),
});

/**
 * The kill switches (admin): pausing a queue stops every worker from taking new jobs of it until
 * it is resumed, across restarts (see switchQueue). GET /v1/admin/status (admin, ops): the
 * feature flags, each queue's pause in Redis and in Postgres with its job counts, and the last run
 * of each scheduled job.
 */
export function adminQueueRoutes(route: RouteRegistrar, deps: AdminQueueRoutesDeps): void {
  for (const action of ['pause', 'resume'] as const) {
    route(`POST /v1/admin/queues/:name/${action}`, async (req, res) => {
      const { name } = parseInput(queueNameParam, req.params);
      const body = parseInput(queueSwitchBody, req.body ?? {});
      const principal = principalOf(req);
      const control = await switchQueue(deps.db, deps.queues, {
        queue: name,
        paused: action === 'pause',
        actor: { type: 'user', id: principal.sub, role: principal.role },
        reason: body.reason ?? null,
        requestId: req.requestId,
        via: 'api',
      });
      req.log.warn({ queue: control.queue, paused: control.paused, reason: control.reason }, `queue ${action}d`);
      res.json(control);
    });
  }

  route('GET /v1/admin/status', async (_req, res) => {
    res.json(await operationsStatus(deps.db, deps.queues, deps.flags));
  });
}
