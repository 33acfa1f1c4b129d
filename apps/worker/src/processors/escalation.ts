import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '@loanops/db';
import { countEscalationCandidates, escalateEligibleLoans } from '@loanops/dpd';
import { QUEUE_CATALOG } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

export interface EscalationProcessorDeps {
  db: Kysely<Database>;
  logger: Logger;
  workerName: string;
  /** ESCALATION_ENABLED: when false the job escalates nothing and eligible loans wait for a later run. */
  enabled: boolean;
  /** ESCALATION_DPD. */
  escalationDpd: number;
}

/** escalate: opens one legal case for every eligible loan (see escalateEligibleLoans). */
export function escalationProcessor(deps: EscalationProcessorDeps) {
  return async (job: Job<unknown>): Promise<{ escalated: number; enabled: boolean }> => {
    const log = deps.logger.child({ queue: 'escalation', jobName: job.name, jobId: job.id });
    if (job.name !== 'escalate') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.escalation.jobs.escalate.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const { runId, businessDate } = parsed.data;
    if (!deps.enabled) {
      const waiting = await countEscalationCandidates(deps.db, deps.escalationDpd);
      log.info({ runId, waiting }, 'escalation is off (ESCALATION_ENABLED=false); eligible loans wait for the next enabled run');
      return { escalated: 0, enabled: false };
    }
    const opened = await escalateEligibleLoans(
      deps.db,
      { runId, businessDate },
      { escalationDpd: deps.escalationDpd, actorId: deps.workerName },
    );
    log.info({ runId, businessDate, escalated: opened.length }, 'loans escalated to the legal team');
    return { escalated: opened.length, enabled: true };
  };
}
