import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import { postPayments, type PostingOutcome } from '@loanops/payments';
import type { Metrics } from '@loanops/observability';
import { QUEUE_CATALOG } from '@loanops/queues';
import { MicroBatcher, type Logger } from '@loanops/runtime';

export interface PaymentsProcessorDeps {
  db: Kysely<Database>;
  bucketTable: BucketTable;
  logger: Logger;
  workerName: string;
  /** Payments posted together in one transaction, at most. */
  batchMax: number;
  /** How long the first payment of a batch waits for others (ms). */
  batchWaitMs: number;
  /** Counts postings by outcome and code (loanops_payment_postings_total). */
  metrics?: Metrics;
  now?: () => Date;
}

const IN_PROCESS_ATTEMPTS = 5;

/**
 * post-payment: parse the payload, then post. Jobs that arrive together are posted together (one
 * transaction, one commit), with each job still getting its own outcome.
 */
export function paymentsProcessor(deps: PaymentsProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  const batcher = new MicroBatcher<string, PostingOutcome>(
    async (intakeIds) => {
      const outcomes = await postPayments(deps.db, intakeIds, {
        bucketTable: deps.bucketTable,
        now: now(),
        actorId: deps.workerName,
      });
      return intakeIds.map((id) => outcomes.get(id) ?? { status: 'MISSING' });
    },
    { maxBatch: deps.batchMax, maxWaitMs: deps.batchWaitMs },
  );

  const process = async (job: Job<unknown>): Promise<PostingOutcome> => {
    const log = deps.logger.child({ queue: 'payments', jobName: job.name, jobId: job.id });
    if (job.name !== 'post-payment') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.payments.jobs['post-payment'].safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const { intakeId } = parsed.data;

    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await batcher.submit(intakeId);
        switch (outcome.status) {
          case 'POSTED':
            if (!outcome.alreadyDone) deps.metrics?.paymentPostings.inc({ outcome: 'posted', code: '' });
            log.info({ intakeId, paymentId: outcome.paymentId, alreadyDone: outcome.alreadyDone }, 'payment posted');
            return outcome;
          case 'REJECTED':
            if (!outcome.alreadyDone) deps.metrics?.paymentPostings.inc({ outcome: 'rejected', code: outcome.code });
            log.warn({ intakeId, code: outcome.code, alreadyDone: outcome.alreadyDone }, 'payment rejected');
            return outcome;
          case 'MISSING':
            throw new UnrecoverableError(`no payment intake ${intakeId}`);
        }
      } catch (error) {
        // Deadlocks and serialization failures roll the whole transaction back; run it again here
        // before handing the job back to BullMQ's backoff.
        if (isRetryableTransactionError(error) && attempt < IN_PROCESS_ATTEMPTS) {
          log.debug({ intakeId, attempt }, 'transaction conflict, retrying');
          continue;
        }
        deps.metrics?.paymentPostings.inc({ outcome: 'error', code: isRetryableTransactionError(error) ? 'CONFLICT' : 'ERROR' });
        throw error;
      }
    }
  };
  return Object.assign(process, { drain: () => batcher.drain() });
}
