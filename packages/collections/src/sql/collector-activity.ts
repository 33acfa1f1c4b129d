import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { CollectorActivity } from '@loanops/domain';

/**
 * What each active collector's loans and promises did over a window, in one set-based statement.
 * Each payment, due installment and bucket move counts for the collector who held the loan on its
 * date (value date, due date, bucket-history date) by the allocation history (loan_allocations;
 * a date belongs to whoever held the loan at its close). A promise counts for the collector who
 * took it: the one its row names, the loan's collector when it was made.
 *
 * A stint is one collector's unbroken hold on a loan within the window. Its standing is judged from
 * the loan's bucket on the day before it starts (the day before the window, or the last day of the
 * previous holder) to its bucket on its last day, so a loan moved mid-window is in scope for both
 * collectors, each for the moves of their own days. A loan's bucket on a date is the last
 * bucket-history row on or before it. Bucket order is the bucket table's (`bucketNames`, best first).
 */
export async function collectorActivity(
  db: Kysely<Database>,
  window: { from: BusinessDate; to: BusinessDate },
  bucketNames: readonly string[],
): Promise<(CollectorActivity & { collectorId: number })[]> {
  const result = await sql<{
    collector_id: number;
    collected_paise: number;
    due_paise: number;
    promises_resolved: number;
    promises_kept: number;
    loans_in_scope: number;
    loans_delinquent: number;
    loans_cured: number;
    loans_rolled_forward: number;
  }>`
    WITH stints AS (
      SELECT a.loan_id, a.collector_id,
        greatest(a.allocated_on, ${window.from}::date) AS first_day,
        least(a.ended_on - 1, ${window.to}::date) AS last_day
      FROM loan_allocations a
      JOIN collectors c ON c.id = a.collector_id AND c.active
      WHERE a.allocated_on <= ${window.to}::date AND (a.ended_on IS NULL OR a.ended_on > ${window.from}::date)
    ),
    due AS (
      SELECT s.collector_id, sum(i.principal_due_paise + i.interest_due_paise) AS paise
      FROM installments i JOIN stints s ON s.loan_id = i.loan_id AND i.due_on BETWEEN s.first_day AND s.last_day
      WHERE i.due_on BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY s.collector_id
    ),
    collected AS (
      SELECT s.collector_id, sum(p.amount_paise) AS paise
      FROM payments p JOIN stints s ON s.loan_id = p.loan_id AND p.value_date BETWEEN s.first_day AND s.last_day
      WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY s.collector_id
    ),
    judged AS (
      SELECT p.collector_id, count(*) AS resolved, count(*) FILTER (WHERE p.status = 'KEPT') AS kept
      FROM promises p JOIN collectors c ON c.id = p.collector_id AND c.active
      WHERE p.status IN ('KEPT', 'BROKEN') AND p.resolved_on BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY p.collector_id
    ),
    standing AS (
      SELECT s.collector_id,
        array_position(${[...bucketNames]}::text[], (
          SELECT h.to_bucket FROM bucket_history h
          WHERE h.loan_id = s.loan_id AND h.business_date <= s.first_day - 1
          ORDER BY h.business_date DESC, h.id DESC LIMIT 1)) AS rank_before,
        array_position(${[...bucketNames]}::text[], (
          SELECT h.to_bucket FROM bucket_history h
          WHERE h.loan_id = s.loan_id AND h.business_date <= s.last_day
          ORDER BY h.business_date DESC, h.id DESC LIMIT 1)) AS rank_after
      FROM stints s
    ),
    moves AS (
      SELECT collector_id,
        count(*) AS in_scope,
        count(*) FILTER (WHERE rank_before > 1) AS delinquent,
        count(*) FILTER (WHERE rank_before > 1 AND rank_after < rank_before) AS cured,
        count(*) FILTER (WHERE rank_after > rank_before) AS rolled_forward
      FROM standing WHERE rank_before IS NOT NULL AND rank_after IS NOT NULL
      GROUP BY collector_id
    )
    SELECT c.id AS collector_id,
      coalesce(collected.paise, 0)::bigint AS collected_paise,
      coalesce(due.paise, 0)::bigint AS due_paise,
      coalesce(judged.resolved, 0)::int AS promises_resolved,
      coalesce(judged.kept, 0)::int AS promises_kept,
      coalesce(moves.in_scope, 0)::int AS loans_in_scope,
      coalesce(moves.delinquent, 0)::int AS loans_delinquent,
      coalesce(moves.cured, 0)::int AS loans_cured,
      coalesce(moves.rolled_forward, 0)::int AS loans_rolled_forward
    FROM collectors c
    LEFT JOIN due ON due.collector_id = c.id
    LEFT JOIN collected ON collected.collector_id = c.id
    LEFT JOIN judged ON judged.collector_id = c.id
    LEFT JOIN moves ON moves.collector_id = c.id
    WHERE c.active
    ORDER BY c.id`.execute(db);
  return result.rows.map((row) => ({
    collectorId: Number(row.collector_id),
    collectedPaise: Number(row.collected_paise),
    duePaise: Number(row.due_paise),
    promisesResolved: row.promises_resolved,
    promisesKept: row.promises_kept,
    loansInScope: row.loans_in_scope,
    loansDelinquent: row.loans_delinquent,
    loansCured: row.loans_cured,
    loansRolledForward: row.loans_rolled_forward,
  }));
}
