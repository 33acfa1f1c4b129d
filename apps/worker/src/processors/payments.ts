import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import { postPayment, type PostingOutcome } from '@loanops/payments';
import { QUEUE_CATALOG } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

export interface PaymentsProcessorDeps {
  db: Kysely<Database>;
  bucketTable: BucketTable;
  logger: Logger;
  workerName: string;
  now?: () => Date;
}

const IN_PROCESS_ATTEMPTS = 5;

/** post-payment: parse, post in one transaction, record the outcome. */
export function paymentsProcessor(deps: PaymentsProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  return async (job: Job<unknown>): Promise<PostingOutcome> => {
    const log = deps.logger.child({ queue: 'payments', jobName: job.name, jobId: job.id });
    if (job.name !== 'post-payment') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.payments.jobs['post-payment'].safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const { intakeId } = parsed.data;

    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await postPayment(deps.db, intakeId, {
          bucketTable: deps.bucketTable,
          now: now(),
          actorId: deps.workerName,
        });
        switch (outcome.status) {
          case 'POSTED':
            log.info({ intakeId, paymentId: outcome.paymentId, alreadyDone: outcome.alreadyDone }, 'payment posted');
            return outcome;
          case 'REJECTED':
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
        throw error;
      }
    }
  };
}
