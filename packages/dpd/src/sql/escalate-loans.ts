import { sql, type Kysely, type Transaction } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';

/**
 * Escalation's SQL: find loans at or past the escalation DPD still ACTIVE without an open legal
 * case, lock them (id order, like every writer) and check again, then open their cases in one
 * statement.
 */

/** The next ids (after `afterId`) of ACTIVE loans at or past `minDpd` without an open legal case. Unlocked. */
export async function findEscalationCandidates(
  db: Kysely<Database>,
  options: { minDpd: number; afterId: number; limit: number },
): Promise<number[]> {
  const result = await sql<{ id: number }>`
    SELECT l.id FROM loans l
    WHERE l.status = 'ACTIVE' AND l.id > ${options.afterId} AND l.dpd >= ${options.minDpd}
      AND NOT EXISTS (SELECT 1 FROM legal_cases c WHERE c.loan_id = l.id AND c.status = 'OPEN')
    ORDER BY l.id
    LIMIT ${options.limit}`.execute(db);
  return result.rows.map((row) => Number(row.id));
}

export async function countCandidates(db: Kysely<Database>, minDpd: number): Promise<number> {
  const result = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM loans l
    WHERE l.status = 'ACTIVE' AND l.dpd >= ${minDpd}
      AND NOT EXISTS (SELECT 1 FROM legal_cases c WHERE c.loan_id = l.id AND c.status = 'OPEN')`.execute(db);
  return result.rows[0]?.n ?? 0;
}

/** Locks the candidates in id order; FOR UPDATE re-checks status and DPD on the rows as they are now. */
export async function lockEligibleLoans(trx: Transaction<Database>, ids: readonly number[], minDpd: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const result = await sql<{ id: number }>`
    SELECT id FROM loans
    WHERE id = ANY(${ids}::bigint[]) AND status = 'ACTIVE' AND dpd >= ${minDpd}
    ORDER BY id
    FOR UPDATE`.execute(trx);
  return result.rows.map((row) => Number(row.id));
}

export interface OpenedCase {
  caseId: number;
  loanId: number;
}

/**
 * For each locked loan, in one statement: a legal case (the unique index legal_cases_one_open
 * keeps it to one open case per loan, whoever else is trying), status LEGAL, a notification to the
 * legal team in the outbox (channel `legal`, whose destination is chosen when it is delivered;
 * deduplicated by `legal-case:<id>:opened`), an audit entry, and the run's escalation count.
 */
export async function openLegalCases(
  trx: Transaction<Database>,
  open: { loanIds: readonly number[]; businessDate: BusinessDate; runId: number | null; minDpd: number; actorId: string },
): Promise<OpenedCase[]> {
  if (open.loanIds.length === 0) return [];
  const result = await sql<{ id: number; loan_id: number }>`
    WITH opened AS (
      INSERT INTO legal_cases (loan_id, borrower_id, opened_on, dpd_at_opening, outstanding_at_opening_paise, run_id)
      SELECT l.id, l.borrower_id, ${open.businessDate}::date, l.dpd, l.total_outstanding_paise, ${open.runId}::bigint
      FROM loans l
      WHERE l.id = ANY(${open.loanIds}::bigint[])
      ORDER BY l.id
      ON CONFLICT (loan_id) WHERE status = 'OPEN' DO NOTHING
      RETURNING id, loan_id, dpd_at_opening, outstanding_at_opening_paise
    ),
    moved AS (
      UPDATE loans AS l SET status = 'LEGAL', version = l.version + 1
      FROM opened o
      WHERE l.id = o.loan_id
      RETURNING l.id, l.loan_number, l.bucket
    ),
    notified AS (
      INSERT INTO notifications (kind, dedupe_key, channel, recipient, loan_id, legal_case_id, payload)
      SELECT 'LEGAL_CASE_OPENED', 'legal-case:' || o.id || ':opened', 'legal', 'legal-team', o.loan_id, o.id,
             jsonb_build_object(
               'legalCaseId', o.id, 'loanId', o.loan_id, 'loanNumber', m.loan_number, 'dpd', o.dpd_at_opening,
               'outstandingPaise', o.outstanding_at_opening_paise, 'openedOn', ${open.businessDate}::text)
      FROM opened o JOIN moved m ON m.id = o.loan_id
      ORDER BY o.id
      ON CONFLICT (dedupe_key) DO NOTHING
    ),
    audited AS (
      INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, before, after, metadata)
      SELECT 'system', ${open.actorId}, 'LEGAL_CASE_OPENED', 'loan', o.loan_id::text,
             jsonb_build_object('status', 'ACTIVE', 'dpd', o.dpd_at_opening, 'bucket', m.bucket),
             jsonb_build_object('status', 'LEGAL', 'legalCaseId', o.id),
             jsonb_build_object(
               'runId', ${open.runId}::bigint, 'businessDate', ${open.businessDate}::text, 'escalationDpd', ${open.minDpd}::int,
               'outstandingPaise', o.outstanding_at_opening_paise, 'notifiedRecipient', 'legal-team')
      FROM opened o JOIN moved m ON m.id = o.loan_id
      ORDER BY o.id
    ),
    counted AS (
      UPDATE job_runs SET escalations = escalations + (SELECT count(*) FROM opened)
      WHERE id = ${open.runId}::bigint
    )
    SELECT id, loan_id FROM opened ORDER BY id`.execute(trx);
  return result.rows.map((row) => ({ caseId: Number(row.id), loanId: Number(row.loan_id) }));
}
