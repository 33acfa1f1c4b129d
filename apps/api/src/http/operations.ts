import type { Express, NextFunction, Request, Response } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Database } from '@loanops/db';
import { metricsHandler, type Metrics } from '@loanops/observability';
import { QUEUE_NAMES, type Queues } from '@loanops/queues';
import { withTimeout } from './with-timeout.js';

export interface OperationsDeps {
  db: Kysely<Database>;
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  /** /metrics answers only to this Bearer token when set. */
  metricsToken?: string | undefined;
  /** How long /readyz (and each read behind /metrics) waits for a dependency (ms). */
  checkTimeoutMs?: number;
  /** True once the process is shutting down: /readyz answers 503 so balancers stop sending. */
  shuttingDown: () => boolean;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

/** Records every request's duration by route template (`/v1/loans/:id`), method and status. */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

function reasonOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return result.reason instanceof Error ? result.reason.message : String(result.reason);
}

/**
 * GET /readyz: Postgres and Redis are asked at once, each with a short timeout; 200 when both
 * answer, else 503 naming the one that did not. GET /metrics: Prometheus, with the queue depths
 * and the DPD runs read at scrape time.
 */
export function operationsRoutes(app: Express, deps: OperationsDeps): void {
  const timeoutMs = deps.checkTimeoutMs ?? 1_000;

  app.get('/readyz', async (req, res) => {
    if (deps.shuttingDown()) {
      res.status(503).json({ error: { code: 'SHUTTING_DOWN', message: 'this process is shutting down' }, requestId: req.requestId });
      return;
    }
    const [postgres, redis] = await Promise.allSettled([
      withTimeout(sql`SELECT 1`.execute(deps.db), timeoutMs),
      withTimeout(deps.redis.ping(), timeoutMs),
    ]);
    const checks = { postgres: reasonOf(postgres), redis: reasonOf(redis) };
    const failed = Object.entries(checks).filter(([, outcome]) => outcome !== 'ok');
    if (failed.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    res.set('Retry-After', '5');
    res.status(503).json({
      error: {
        code: 'NOT_READY',
        message: failed.map(([name, reason]) => `${name} did not answer (${reason})`).join('; '),
        details: checks,
      },
      requestId: req.requestId,
    });
  });

  const collectQueues = async () => {
    deps.metrics.queueJobs.reset();
    await Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const counts = await withTimeout(deps.queues.get(queue).getJobCounts(...JOB_STATES), timeoutMs);
        for (const state of JOB_STATES) deps.metrics.queueJobs.set({ queue, state }, counts[state] ?? 0);
      }),
    );
  };
  const collectDpdRuns = async () => {
    const byStatus = await withTimeout(
      deps.db.selectFrom('job_runs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('kind', '=', 'DPD').groupBy('status').execute(),
      timeoutMs,
    );
    deps.metrics.dpdRuns.reset();
    for (const row of byStatus) deps.metrics.dpdRuns.set({ status: row.status }, Number(row.n));
    const last = await withTimeout(
      deps.db
        .selectFrom('job_runs')
        .select(['status', 'started_at', 'finished_at', 'loans_scanned', 'dpd_changed', 'bucket_changes', 'escalations'])
        .where('kind', '=', 'DPD')
        .where('finished_at', 'is not', null)
        .orderBy('finished_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
      timeoutMs,
    );
    deps.metrics.dpdLastRunSeconds.reset();
    if (last?.finished_at) {
      const seconds = (new Date(last.finished_at).getTime() - new Date(last.started_at).getTime()) / 1000;
      deps.metrics.dpdLastRunSeconds.set({ status: last.status }, seconds);
      deps.metrics.dpdLastRunCounts.set({ count: 'loans_scanned' }, last.loans_scanned);
      deps.metrics.dpdLastRunCounts.set({ count: 'dpd_changed' }, last.dpd_changed);
      deps.metrics.dpdLastRunCounts.set({ count: 'bucket_changes' }, last.bucket_changes);
      deps.metrics.dpdLastRunCounts.set({ count: 'escalations' }, last.escalations);
    }
  };
  // A dependency that is down leaves its series out of this scrape; loanops_dependency_up says why.
  const collect = async () => {
    await Promise.allSettled([collectQueues(), collectDpdRuns()]);
  };
  app.get('/metrics', metricsHandler(deps.metrics.registry, { token: deps.metricsToken, collect }));
}
