import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { EfficiencyCell } from '../shape.js';

export type EfficiencyGrouping = 'month' | 'collector' | 'month-collector';

/**
 * Demand and collections between two dates (inclusive), by calendar month and/or collector: the
 * collector who held the loan on the due date, or on the payment's value date, by the allocation
 * history (loan_allocations; none then is UNASSIGNED). Demand: principal and interest of installments falling
 * due. Collected: allocations of payments still posted (not reversed) with a value date in the
 * period. Collected against demand: the part of those allocations that paid an installment
 * falling due in the same month as the payment's value date.
 */
export async function efficiencyCells(
  db: Kysely<Database>,
  range: { from: BusinessDate; to: BusinessDate },
  grouping: EfficiencyGrouping,
): Promise<EfficiencyCell[]> {
  const byMonth = grouping !== 'collector';
  const byCollector = grouping !== 'month';
  const result = await sql<{
    month: string | null;
    code: string | null;
    name: string | null;
    loans: number;
    demand: number;
    collected: number;
    against: number;
  }>`
    WITH demand AS (
      SELECT to_char(i.due_on, 'YYYY-MM') AS month, coalesce(h.collector_id, 0) AS collector, i.loan_id,
             i.principal_due_paise + i.interest_due_paise AS demand, 0::bigint AS collected, 0::bigint AS against
      FROM installments i
      LEFT JOIN loan_allocations h
        ON h.loan_id = i.loan_id AND h.allocated_on <= i.due_on AND (h.ended_on IS NULL OR h.ended_on > i.due_on)
      WHERE i.due_on BETWEEN ${range.from}::date AND ${range.to}::date
    ), collected AS (
      SELECT to_char(p.value_date, 'YYYY-MM') AS month, coalesce(h.collector_id, 0) AS collector, p.loan_id,
             0::bigint AS demand, a.amount_paise AS collected,
             CASE WHEN i.due_on BETWEEN ${range.from}::date AND ${range.to}::date
                   AND date_trunc('month', i.due_on) = date_trunc('month', p.value_date)
                  THEN a.amount_paise ELSE 0 END AS against
      FROM payments p
      LEFT JOIN loan_allocations h
        ON h.loan_id = p.loan_id AND h.allocated_on <= p.value_date AND (h.ended_on IS NULL OR h.ended_on > p.value_date)
      JOIN payment_allocations a ON a.payment_id = p.id
      LEFT JOIN installments i ON i.id = a.installment_id
      WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${range.from}::date AND ${range.to}::date
    ), facts AS (SELECT * FROM demand UNION ALL SELECT * FROM collected)
    SELECT ${byMonth ? sql`f.month` : sql`NULL::text`} AS month,
           ${byCollector ? sql`CASE WHEN f.collector = 0 THEN 'UNASSIGNED' ELSE min(c.code) END` : sql`NULL::text`} AS code,
           ${byCollector ? sql`min(c.name)` : sql`NULL::text`} AS name,
           count(DISTINCT f.loan_id)::int AS loans,
           sum(f.demand)::bigint AS demand,
           sum(f.collected)::bigint AS collected,
           sum(f.against)::bigint AS against
    FROM facts f LEFT JOIN collectors c ON c.id = f.collector
    GROUP BY ${byMonth && byCollector ? sql`f.month, f.collector` : byMonth ? sql`f.month` : sql`f.collector`}
    ORDER BY ${byMonth && byCollector ? sql`f.month, code` : byMonth ? sql`f.month` : sql`code`}`.execute(db);
  return result.rows.map((row) => ({
    month: row.month,
    collectorCode: row.code,
    collectorName: row.name,
    loans: row.loans,
    demandPaise: Number(row.demand),
    collectedPaise: Number(row.collected),
    collectedAgainstDemandPaise: Number(row.against),
  }));
}
