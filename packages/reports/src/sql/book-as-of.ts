import { sql, type Kysely, type RawBuilder } from 'kysely';
import { BUSINESS_ZONE, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { PortfolioCell, RollCell } from '../shape.js';

/**
 * The book as it stood at the end of a past business date, rebuilt from the record rather than
 * today's columns: each loan's bucket is the last bucket-history row dated on or before it; its
 * outstanding is its schedule and charges levied by then, less the allocations of payments posted
 * by then and not reversed by then. Loans disbursed after the date, or with nothing outstanding on
 * it, are not in the book of that date.
 */
function standingAsOf(date: BusinessDate): RawBuilder<unknown> {
  return sql`
    SELECT s.loan_id, s.bucket,
           l.principal_paise - coalesce(p.principal, 0) AS principal_outstanding,
           sched.due + coalesce(c.levied, 0) - coalesce(p.total, 0) AS total_outstanding
    FROM (
      SELECT DISTINCT ON (h.loan_id) h.loan_id, h.to_bucket AS bucket
      FROM bucket_history h
      WHERE h.business_date <= ${date}::date
      ORDER BY h.loan_id, h.business_date DESC, h.id DESC
    ) s
    JOIN loans l ON l.id = s.loan_id
    JOIN (
      SELECT loan_id, sum(principal_due_paise + interest_due_paise) AS due FROM installments GROUP BY loan_id
    ) sched ON sched.loan_id = s.loan_id
    LEFT JOIN (
      SELECT p.loan_id,
             sum(a.amount_paise) FILTER (WHERE a.component = 'PRINCIPAL') AS principal,
             sum(a.amount_paise) AS total
      FROM payments p JOIN payment_allocations a ON a.payment_id = p.id
      WHERE p.posted_on <= ${date}::date
        AND (p.status = 'POSTED' OR (p.reversed_at AT TIME ZONE ${BUSINESS_ZONE})::date > ${date}::date)
      GROUP BY p.loan_id
    ) p ON p.loan_id = s.loan_id
    LEFT JOIN (
      SELECT loan_id, sum(amount_paise) AS levied FROM loan_charges WHERE levied_on <= ${date}::date GROUP BY loan_id
    ) c ON c.loan_id = s.loan_id
    WHERE l.disbursed_on <= ${date}::date
      AND sched.due + coalesce(c.levied, 0) - coalesce(p.total, 0) > 0`;
}

/** Loans and outstanding per bucket at the end of `date`. */
export async function portfolioCells(db: Kysely<Database>, date: BusinessDate): Promise<PortfolioCell[]> {
  const result = await sql<{ bucket: string; loans: number; principal: number; total: number }>`
    SELECT bucket, count(*)::int AS loans, sum(principal_outstanding)::bigint AS principal, sum(total_outstanding)::bigint AS total
    FROM (${standingAsOf(date)}) standing
    GROUP BY bucket`.execute(db);
  return result.rows.map((row) => ({
    bucket: row.bucket,
    loans: row.loans,
    principalOutstandingPaise: Number(row.principal),
    totalOutstandingPaise: Number(row.total),
  }));
}

/**
 * The loans of the book on `from`, by their bucket then and their bucket on `to` (a loan paid off
 * in between is in the bucket its last payment left it in, normally the first).
 */
export async function rollCells(db: Kysely<Database>, from: BusinessDate, to: BusinessDate): Promise<RollCell[]> {
  const result = await sql<{ from_bucket: string; to_bucket: string; loans: number; amount: number }>`
    SELECT a.bucket AS from_bucket, b.to_bucket, count(*)::int AS loans, sum(a.total_outstanding)::bigint AS amount
    FROM (${standingAsOf(from)}) a
    JOIN (
      SELECT DISTINCT ON (h.loan_id) h.loan_id, h.to_bucket
      FROM bucket_history h
      WHERE h.business_date <= ${to}::date
      ORDER BY h.loan_id, h.business_date DESC, h.id DESC
    ) b ON b.loan_id = a.loan_id
    GROUP BY a.bucket, b.to_bucket`.execute(db);
  return result.rows.map((row) => ({
    fromBucket: row.from_bucket,
    toBucket: row.to_bucket,
    loans: row.loans,
    amountPaise: Number(row.amount),
  }));
}
