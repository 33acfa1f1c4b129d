import { sql } from 'kysely';
import type { Database } from '@loanops/db';
import { addMonths, type BusinessDate } from '@loanops/domain';
import type { Floor } from '../support.js';

/**
 * The floors of bench:reports: for each report, one hand-written query over the same book reading
 * the rows the report must read and grouping them as it must, fetched to the process (no paging,
 * no formatting); for the integrity check, one pass over each table the checks read. All only read.
 */

/** Portfolio by bucket: one GROUP BY over the loans with something outstanding, from today's balances. */
export function portfolioFloor(asOf: BusinessDate): Floor<Database, number> {
  return {
    work: async (conn) => {
      const result = await sql`
        SELECT bucket, count(*)::int AS loans, sum(principal_outstanding_paise)::bigint AS principal,
               sum(total_outstanding_paise)::bigint AS total
        FROM loans
        WHERE disbursed_on <= ${asOf}::date AND total_outstanding_paise > 0
        GROUP BY bucket`.execute(conn);
      return result.rows.length;
    },
  };
}

/**
 * Roll rates: each loan's last bucket-history row on or before each date (one DISTINCT ON pass per
 * date), joined to its loan and grouped by the pair of buckets; today's balances, nothing worked back.
 */
export function rollRateFloor(from: BusinessDate, to: BusinessDate): Floor<Database, number> {
  const lastBucket = (date: BusinessDate) => sql`
    SELECT DISTINCT ON (h.loan_id) h.loan_id, h.to_bucket AS bucket
    FROM bucket_history h WHERE h.business_date <= ${date}::date
    ORDER BY h.loan_id, h.business_date DESC, h.id DESC`;
  return {
    work: async (conn) => {
      const result = await sql`
        SELECT a.bucket AS from_bucket, b.bucket AS to_bucket, count(*)::int AS loans, sum(l.total_outstanding_paise)::bigint AS amount
        FROM (${lastBucket(from)}) a
        JOIN (${lastBucket(to)}) b ON b.loan_id = a.loan_id
        JOIN loans l ON l.id = a.loan_id
        GROUP BY a.bucket, b.bucket`.execute(conn);
      return result.rows.length;
    },
  };
}

/**
 * Collection efficiency by month and collector: one GROUP BY over the installments falling due in
 * the months and the posted payments value-dated in them (by the loan's collector), with the loans
 * counted per cell; no allocations matched to the month's dues, no collector names.
 */
export function efficiencyFloor(today: BusinessDate): Floor<Database, number> {
  const from = addMonths(`${today.slice(0, 7)}-01`, -11);
  return {
    work: async (conn) => {
      const result = await sql`
        SELECT month, collector_id, count(DISTINCT loan_id)::int AS loans, sum(demand)::bigint AS demand, sum(collected)::bigint AS collected
        FROM (
          SELECT date_trunc('month', i.due_on) AS month, l.collector_id, i.loan_id,
                 i.principal_due_paise + i.interest_due_paise AS demand, 0::bigint AS collected
          FROM installments i JOIN loans l ON l.id = i.loan_id
          WHERE i.due_on BETWEEN ${from}::date AND ${today}::date
          UNION ALL
          SELECT date_trunc('month', p.value_date), l.collector_id, p.loan_id, 0, p.amount_paise
          FROM payments p JOIN loans l ON l.id = p.loan_id
          WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${from}::date AND ${today}::date
        ) facts
        GROUP BY month, collector_id`.execute(conn);
      return result.rows.length;
    },
  };
}

/** DPD runs: the same rows of job_runs in one read. */
export function dpdRunsFloor(today: BusinessDate): Floor<Database, number> {
  return {
    work: async (conn) => {
      const result = await sql`
        SELECT * FROM job_runs WHERE kind = 'DPD' AND business_date BETWEEN '1980-01-01' AND ${today}::date ORDER BY id`.execute(conn);
      return result.rows.length;
    },
  };
}

/** Legal pipeline: every case with its loan, borrower and collector in one read. */
export function legalPipelineFloor(): Floor<Database, number> {
  return {
    work: async (conn) => {
      const result = await sql`
        SELECT lc.id, lc.status, lc.opened_on, lc.closed_at, lc.closed_reason, l.loan_number, l.status AS loan_status, b.name,
               c.code, lc.dpd_at_opening, lc.outstanding_at_opening_paise, l.dpd, l.bucket, l.total_outstanding_paise
        FROM legal_cases lc
        JOIN loans l ON l.id = lc.loan_id
        JOIN borrowers b ON b.id = lc.borrower_id
        LEFT JOIN collectors c ON c.id = l.collector_id
        ORDER BY lc.id`.execute(conn);
      return result.rows.length;
    },
  };
}

/**
 * The integrity check: one pass over each table the checks read, aggregating the columns they
 * compare (rows read, returned as the floor's count). No joins between them, nothing per loan.
 */
export function integrityFloor(): Floor<Database, number> {
  const passes = [
    sql<{ n: string }>`SELECT count(*) AS n, sum(principal_due_paise - principal_paid_paise), sum(interest_due_paise - interest_paid_paise),
                              count(*) FILTER (WHERE principal_paid_paise > principal_due_paise OR interest_paid_paise > interest_due_paise),
                              min(due_on) FILTER (WHERE principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
                       FROM installments`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(principal_outstanding_paise), sum(interest_outstanding_paise), sum(charges_outstanding_paise),
                              sum(dpd), max(dpd_as_of), max(bucket), count(*) FILTER (WHERE source = 'API')
                       FROM loans`,
    sql<{ n: string }>`SELECT count(*) AS n, max(business_date), max(to_bucket) FROM bucket_history`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(amount_paise - paid_paise), count(*) FILTER (WHERE paid_paise > amount_paise) FROM loan_charges`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(amount_paise), count(*) FILTER (WHERE status = 'POSTED') FROM payments`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(amount_paise), max(component) FROM payment_allocations`,
    sql<{ n: string }>`SELECT count(*) AS n, count(payment_id) FROM payment_intake`,
    sql<{ n: string }>`SELECT count(*) AS n, max(business_date) FROM job_runs`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(length(action) + length(entity_id)) FROM audit_log`,
    sql<{ n: string }>`SELECT count(*) AS n, sum(length(hash)) FROM audit_chain`,
  ];
  return {
    work: async (conn) => {
      let rows = 0;
      for (const pass of passes) rows += Number((await pass.execute(conn)).rows[0]?.n ?? 0);
      return rows;
    },
  };
}
