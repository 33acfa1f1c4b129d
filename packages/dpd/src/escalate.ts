import type { Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import {
  countCandidates,
  findEscalationCandidates,
  lockEligibleLoans,
  openLegalCases,
  type OpenedCase,
} from './sql/escalate-loans.js';

export interface EscalationRequest {
  /** The run whose escalation count grows; null for an escalation outside a run. */
  runId: number | null;
  businessDate: BusinessDate;
}

export interface EscalationSettings {
  /** ESCALATION_DPD: a loan at or past this DPD goes to the legal team. */
  escalationDpd: number;
  /** Who acts, for the audit trail (the worker's name). */
  actorId: string;
  /** Loans escalated per transaction. */
  batchSize?: number;
}

const IN_PLACE_ATTEMPTS = 5;

/**
 * Escalates every ACTIVE loan at or past the escalation DPD that has no open legal case, whenever
 * it got there (loans left while escalation was off go with the next enabled run): one legal case
 * each, status LEGAL, a notification to the legal team and an audit entry. Runs in batches, each
 * its own transaction; running it again, or twice at once, opens no second case.
 */
export async function escalateEligibleLoans(
  db: Kysely<Database>,
  request: EscalationRequest,
  settings: EscalationSettings,
): Promise<OpenedCase[]> {
  const batchSize = settings.batchSize ?? 500;
  const opened: OpenedCase[] = [];
  let afterId = 0;
  for (;;) {
    const candidates = await findEscalationCandidates(db, { minDpd: settings.escalationDpd, afterId, limit: batchSize });
    if (candidates.length === 0) return opened;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const batch = await db.transaction().execute(async (trx) => {
          const eligible = await lockEligibleLoans(trx, candidates, settings.escalationDpd);
          return openLegalCases(trx, {
            loanIds: eligible,
            businessDate: request.businessDate,
            runId: request.runId,
            minDpd: settings.escalationDpd,
            actorId: settings.actorId,
          });
        });
        opened.push(...batch);
        break;
      } catch (error) {
        if (isRetryableTransactionError(error) && attempt < IN_PLACE_ATTEMPTS) continue;
        throw error;
      }
    }
    afterId = candidates[candidates.length - 1] as number;
  }
}

/** How many loans escalation would take now (what a disabled escalation leaves for later). */
export async function countEscalationCandidates(db: Kysely<Database>, escalationDpd: number): Promise<number> {
  return countCandidates(db, escalationDpd);
}
