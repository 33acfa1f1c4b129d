import { Job, type Queue } from 'bullmq';
import { coerceError, startPeriodic, type Logger, type Periodic } from '@loanops/runtime';

export interface SweeperOptions {
  queue: Queue;
  jobName: string;
  logger: Logger;
  /** Accepted work still waiting after `olderThanMs` (ids of intake or edit rows). */
  findWaiting: (olderThanMs: number, limit: number) => Promise<string[]>;
  jobIdOf: (id: string) => string;
  dataOf: (id: string) => Record<string, unknown>;
  olderThanMs: number;
  intervalMs: number;
  batch?: number;
}

/**
 * Makes sure every accepted request still waiting in Postgres has a live job: adds one when Redis
 * has none (restarted empty, enqueue lost, job removed), retries one that failed for good, replaces
 * one that finished without the row moving. The job id derived from the row keeps this from ever
 * doubling work, so every worker of the queue may sweep at once.
 */
export async function sweepWaiting(options: SweeperOptions): Promise<{ requeued: number; retried: number }> {
  const ids = await options.findWaiting(options.olderThanMs, options.batch ?? 1_000);
  let requeued = 0;
  let retried = 0;
  for (const id of ids) {
    const jobId = options.jobIdOf(id);
    const job = await Job.fromId(options.queue, jobId);
    const state = job ? await job.getState() : 'missing';
    if (state === 'failed' && job) {
      await job.retry('failed');
      retried += 1;
    } else if (state === 'missing' || state === 'unknown' || state === 'completed') {
      if (job) await job.remove().catch(() => undefined);
      await options.queue.add(options.jobName, options.dataOf(id), { jobId });
      requeued += 1;
    }
  }
  if (requeued + retried > 0) {
    options.logger.warn({ queue: options.queue.name, requeued, retried }, 'swept waiting work back onto the queue');
  }
  return { requeued, retried };
}

/** Runs the sweep every intervalMs until stopped. */
export function startSweeper(options: SweeperOptions): Periodic {
  return startPeriodic(
    () => sweepWaiting(options),
    options.intervalMs,
    (error) => options.logger.error({ queue: options.queue.name, err: coerceError(error) }, 'sweep failed'),
  );
}
