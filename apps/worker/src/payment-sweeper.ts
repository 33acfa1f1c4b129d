import { Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '@loanops/db';
import { findWaitingIntakes } from '@loanops/payments';
import { paymentJobId } from '@loanops/queues';
import { coerceError, type Logger } from '@loanops/runtime';

export interface SweeperOptions {
  db: Kysely<Database>;
  queue: Queue;
  logger: Logger;
  /** How long an intake may wait before it is handed to the queue again. */
  olderThanMs: number;
  intervalMs: number;
  batch?: number;
}

/**
 * Makes sure every payment still RECEIVED has a live job: adds one when Redis has none (restarted
 * empty, enqueue lost, job removed), retries one that failed for good, replaces one that finished
 * without the intake moving. Safe to run in every payments worker at once.
 */
export async function sweepWaitingPayments(options: SweeperOptions): Promise<{ requeued: number; retried: number }> {
  const ids = await findWaitingIntakes(options.db, {
    now: new Date(),
    olderThanMs: options.olderThanMs,
    limit: options.batch ?? 1_000,
  });
  let requeued = 0;
  let retried = 0;
  for (const intakeId of ids) {
    const jobId = paymentJobId(intakeId);
    const job = await Job.fromId(options.queue, jobId);
    const state = job ? await job.getState() : 'missing';
    if (state === 'failed' && job) {
      await job.retry('failed');
      retried += 1;
    } else if (state === 'missing' || state === 'unknown' || state === 'completed') {
      if (job) await job.remove().catch(() => undefined);
      await options.queue.add('post-payment', { intakeId }, { jobId });
      requeued += 1;
    }
  }
  if (requeued + retried > 0) options.logger.warn({ requeued, retried }, 'swept waiting payments back onto the queue');
  return { requeued, retried };
}

/** Runs the sweep every intervalMs until stopped. */
export function startPaymentSweeper(options: SweeperOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await sweepWaitingPayments(options);
      } catch (error) {
        options.logger.error({ err: coerceError(error) }, 'payment sweep failed');
      }
    });
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
