import { Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '@loanops/db';
import { failDpdRun, findLongRunningRuns, type DpdRunView } from '@loanops/dpd';
import { dpdRunJobId } from '@loanops/queues';
import { coerceError, startPeriodic, type Logger, type Periodic } from '@loanops/runtime';

export interface DpdRunSweeperOptions {
  db: Kysely<Database>;
  /** The dpd queue. */
  queue: Queue;
  logger: Logger;
  actorId: string;
  /** A RUNNING run this old whose flow is gone or failed is failed. */
  olderThanMs: number;
  intervalMs: number;
  onRunFailed: (run: DpdRunView) => void;
  now?: () => Date;
}

/**
 * Fails DPD runs that can no longer finish: RUNNING in Postgres, but their parent job is gone
 * from Redis (emptied, or the process that recorded the run died before enqueueing it) or failed
 * for good. A failed date can then be run again. Safe in every dpd worker at once.
 */
export async function sweepStaleDpdRuns(options: DpdRunSweeperOptions): Promise<DpdRunView[]> {
  const now = options.now ?? (() => new Date());
  const failed: DpdRunView[] = [];
  for (const run of await findLongRunningRuns(options.db, { now: now(), olderThanMs: options.olderThanMs })) {
    const job = await Job.fromId(options.queue, dpdRunJobId(run.id));
    const state = job ? await job.getState() : 'missing';
    let error: string;
    if (state === 'missing' || state === 'unknown') {
      error = 'its jobs are gone from the queue (Redis emptied, or the run was never enqueued); start it again';
    } else if (state === 'failed') {
      error = `its closing job failed for good: ${job?.failedReason ?? 'no reason recorded'}`;
    } else {
      continue;
    }
    const closed = await failDpdRun(options.db, run.id, { error, actor: { type: 'system', id: options.actorId }, now: now() });
    if (!closed) continue;
    options.logger.error({ runId: run.id, businessDate: run.businessDate, error }, 'DPD run failed');
    options.onRunFailed(closed);
    failed.push(closed);
  }
  return failed;
}

export function startDpdRunSweeper(options: DpdRunSweeperOptions): Periodic {
  return startPeriodic(
    () => sweepStaleDpdRuns(options),
    options.intervalMs,
    (error) => options.logger.error({ err: coerceError(error) }, 'DPD run sweep failed'),
  );
}
