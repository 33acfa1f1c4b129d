import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import { isConnectionError } from '@loanops/db';
import type { Alerter, Metrics } from '@loanops/observability';
import type { QueueName } from '@loanops/queues';

/** Times every job of a queue's processor into loanops_job_duration_seconds (completed / failed). */
export function instrumentProcessor(queue: QueueName, processor: Processor, metrics: Metrics): Processor {
  return async (job, token, signal) => {
    const stop = metrics.jobDuration.startTimer({ queue, job: job.name });
    try {
      const result: unknown = await processor(job, token, signal);
      stop({ outcome: 'completed' });
      return result;
    } catch (error) {
      stop({ outcome: 'failed' });
      throw error;
    }
  };
}

/** True when BullMQ will not try the job again: its attempts are used up, or it threw UnrecoverableError. */
export function failedForGood(job: Job | undefined, error: Error): boolean {
  if (job === undefined) return false;
  return error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * The critical alerts raised from a worker's 'failed' event: any job failed for good (every queue),
 * and any error while posting a payment (each attempt; the alerter throttles per kind) except a
 * lost database connection: the database-connection-lost alert already says that once, and the attempt is
 * retried when it is back.
 */
export function alertOnFailure(alerter: Alerter, queue: QueueName, job: Job | undefined, error: Error): void {
  const details = { queue, jobName: job?.name, jobId: job?.id, attemptsMade: job?.attemptsMade, error: error.message };
  if (queue === 'payments' && !isConnectionError(error)) {
    alerter.alert('payment-processing-error', `posting a payment failed: ${error.message}`, details);
  }
  if (failedForGood(job, error)) {
    alerter.alert('job-failed', `${queue} job ${job?.name ?? ''} ${job?.id ?? ''} failed after ${job?.attemptsMade ?? 0} attempt(s): ${error.message}`, details);
  }
}
