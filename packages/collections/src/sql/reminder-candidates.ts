import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';

/** The promises and installments a day's reminders are for, with what the message needs. */

export interface PromiseCandidate {
  promise_id: number;
  loan_id: number;
  loan_number: string;
  amount_paise: number;
  made_on: BusinessDate;
  made_at: Date;
  promised_on: BusinessDate;
  phone: string;
  language: 'en' | 'hi';
}

/** Open promises on live loans falling due on `dates` that have no reminder of that day's kind yet. */
export async function findPromiseCandidates(
  db: Kysely<Database>,
  dates: { today: BusinessDate; tomorrow: BusinessDate },
): Promise<PromiseCandidate[]> {
  const result = await sql<PromiseCandidate>`
    SELECT p.id AS promise_id, l.id AS loan_id, l.loan_number, p.amount_paise, p.made_on::text AS made_on, p.made_at,
           p.promised_on::text AS promised_on,
           b.phone, b.language
    FROM promises p
    JOIN loans l ON l.id = p.loan_id
    JOIN borrowers b ON b.id = l.borrower_id
    WHERE p.status = 'OPEN' AND p.promised_on IN (${dates.today}::date, ${dates.tomorrow}::date)
      AND l.status IN ('ACTIVE', 'LEGAL')
      AND NOT EXISTS (
        SELECT 1 FROM notifications n
        WHERE n.dedupe_key = 'promise:' || p.id || ':'
          || CASE WHEN p.promised_on = ${dates.today}::date THEN 'PROMISE_DUE_TODAY' ELSE 'PROMISE_DUE_TOMORROW' END)
    ORDER BY p.id`.execute(db);
  return result.rows;
}

export interface InstallmentCandidate {
  installment_id: number;
  loan_id: number;
  loan_number: string;
  outstanding_paise: number;
  due_on: BusinessDate;
  phone: string;
  language: 'en' | 'hi';
}

/**
 * Unpaid installments of ACTIVE loans due from .. to without a reminder yet, in one read (a few
 * days' due dates: tens of thousands of rows for a million loans; paging would rescan the range).
 */
export async function findInstallmentCandidates(
  db: Kysely<Database>,
  range: { from: BusinessDate; to: BusinessDate },
): Promise<InstallmentCandidate[]> {
  const result = await sql<InstallmentCandidate>`
    SELECT i.id AS installment_id, l.id AS loan_id, l.loan_number, i.outstanding_paise, i.due_on::text AS due_on,
           b.phone, b.language
    FROM installments i
    JOIN loans l ON l.id = i.loan_id
    JOIN borrowers b ON b.id = l.borrower_id
    WHERE i.due_on BETWEEN ${range.from}::date AND ${range.to}::date
      AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
      AND l.status = 'ACTIVE'
      AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key = 'installment:' || i.id || ':INSTALLMENT_DUE')
    ORDER BY i.due_on, i.id`.execute(db);
  return result.rows;
}

export interface LoanPayment {
  loan_id: number;
  amount_paise: number;
  value_date: BusinessDate;
  posted_at: Date;
  status: 'POSTED' | 'REVERSED';
}

/** Payments on these loans value-dated on or after `from`. */
export async function findLoanPayments(db: Kysely<Database>, loanIds: readonly number[], from: BusinessDate): Promise<LoanPayment[]> {
  if (loanIds.length === 0) return [];
  return db
    .selectFrom('payments')
    .select(['loan_id', 'amount_paise', 'value_date', 'posted_at', 'status'])
    .where('loan_id', 'in', [...loanIds])
    .where('value_date', '>=', from)
    .execute();
}
