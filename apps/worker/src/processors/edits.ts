import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import { applyLoanEdit, type EditOutcome } from '@loanops/loan-book';
import { QUEUE_CATALOG } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

/** apply-edit: applies an accepted loan edit (contact data, collector, tags, notes), audited. */
export function editsProcessor(deps: { db: Kysely<Database>; logger: Logger; workerName: string }) {
  return async (job: Job<unknown>): Promise<EditOutcome> => {
    const log = deps.logger.child({ queue: 'edits', jobName: job.name, jobId: job.id });
    if (job.name !== 'apply-edit') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.edits.jobs['apply-edit'].safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const { editId } = parsed.data;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await applyLoanEdit(deps.db, editId, { type: 'system', id: deps.workerName });
        if (outcome.status === 'MISSING') throw new UnrecoverableError(`no loan edit ${editId}`);
        log.info({ editId, status: outcome.status, code: outcome.code, alreadyDone: outcome.alreadyDone }, 'loan edit processed');
        return outcome;
      } catch (error) {
        if (isRetryableTransactionError(error) && attempt < 5) continue;
        throw error;
      }
    }
  };
}
