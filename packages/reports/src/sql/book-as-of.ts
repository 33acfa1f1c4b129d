import { sql, type Kysely, type RawBuilder } from 'kysely';
import { BUSINESS_ZONE, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { PortfolioCell, RollCell } from '../shape.js';

/**
 * The book as it stood at the end of a past business date, worked back from today's stored
 * balances rather than rebuilt from the payments alone: imported and seeded loans carry
 * repayments made before this system, in their installments' paid amounts with no payment rows,
 * and those count as made by the day the loan entered the book. From today's outstanding, what
 * changed after the date is undone: allocations of payments posted after it (and still posted)
 * are owed again, and allocations of payments posted by it but reversed after it are paid again.
 * A payment counts from the day it was posted, not its value date, as the bucket history does
 * (and the DPD run saw it), so a day's book does not change once the day is over.
 *
 * Each loan's bucket is its last bucket-history row dated on or before the date; a loan's first
 * row is dated the day it was created, imported or seeded, so a loan not yet in the book then has
 * none. Loans disbursed after the date, or with nothing outstanding on it, are left out too.
 */
function standingAsOf(date: BusinessDate): RawBuilder<unknown> {
  return sql`
    SELECT s.loan_id, s.bucket,
           l.principal_outstanding_paise + coalesce(u.principal, 0) AS principal_outstanding,
           l.principal_outstanding_paise + l.interest_outstanding_paise + coalesce(c.unpaid, 0) + coalesce(u.total, 0)
             AS total_outstanding
    FROM (
      SELECT DISTINCT ON (h.loan_id) h.loan_id, h.to_bucket AS bucket
      FROM bucket_history h
      WHERE h.business_date <= ${date}::date
      ORDER BY h.loan_id, h.business_date DESC, h.id DESC
    ) s
    JOIN loans l ON l.id = s.loan_id
    LEFT JOIN (
      -- What is owed on the date beyond today: + what a later payment paid, - what a later reversal restored.
      SELECT p.loan_id,
             sum(CASE WHEN p.status = 'POSTED' THEN a.amount_paise ELSE -a.amount_paise END)
               FILTER (WHERE a.component = 'PRINCIPAL') AS principal,
             sum(CASE WHEN p.status = 'POSTED' THEN a.amount_paise ELSE -a.amount_paise END) AS total
      FROM payments p
      JOIN payment_allocations a ON a.payment_id = p.id
      LEFT JOIN loan_charges ch ON ch.id = a.charge_id
      WHERE (
          (p.status = 'POSTED' AND p.posted_on > ${date}::date)
          OR (p.status = 'REVERSED' AND p.posted_on <= ${date}::date
              AND (p.reversed_at AT TIME ZONE ${BUSINESS_ZONE})::date > ${date}::date)
        )
        -- A charge levied after the date is not in its book at all, paid or not.
        AND (ch.id IS NULL OR ch.levied_on <= ${date}::date)
      GROUP BY p.loan_id
    ) u ON u.loan_id = s.loan_id
    LEFT JOIN (
      SELECT loan_id, sum(amount_paise - paid_paise) AS unpaid
      FROM loan_charges
      WHERE levied_on <= ${date}::date
      GROUP BY loan_id
    ) c ON c.loan_id = s.loan_id
    WHERE l.disbursed_on <= ${date}::date
      AND l.principal_outstanding_paise + l.interest_outstanding_paise + coalesce(c.unpaid, 0) + coalesce(u.total, 0) > 0`;
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
