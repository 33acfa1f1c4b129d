import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { CollectorActivity } from '@loanops/domain';

/**
 * What each active collector's loans and promises did over a window, in one set-based statement.
 * "Their loans" are the loans allocated to them now. A loan's bucket on a date is the last
 * bucket-history row on or before it; the window starts from the day before its first day.
 * Bucket order is the bucket table's (`bucketNames`, best first).
 */
export async function collectorActivity(
  db: Kysely<Database>,
  window: { from: BusinessDate; to: BusinessDate; startOfWindow: BusinessDate },
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
    WITH their_loans AS (
      SELECT l.id, l.collector_id FROM loans l
      JOIN collectors c ON c.id = l.collector_id AND c.active
    ),
    due AS (
      SELECT t.collector_id, sum(i.principal_due_paise + i.interest_due_paise) AS paise
      FROM installments i JOIN their_loans t ON t.id = i.loan_id
      WHERE i.due_on BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY t.collector_id
    ),
    collected AS (
      SELECT t.collector_id, sum(p.amount_paise) AS paise
      FROM payments p JOIN their_loans t ON t.id = p.loan_id
      WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY t.collector_id
    ),
    judged AS (
      SELECT p.collector_id, count(*) AS resolved, count(*) FILTER (WHERE p.status = 'KEPT') AS kept
      FROM promises p JOIN collectors c ON c.id = p.collector_id AND c.active
      WHERE p.status IN ('KEPT', 'BROKEN') AND p.resolved_on BETWEEN ${window.from}::date AND ${window.to}::date
      GROUP BY p.collector_id
    ),
    standing AS (
      SELECT t.collector_id,
        array_position(${[...bucketNames]}::text[], (
          SELECT h.to_bucket FROM bucket_history h
          WHERE h.loan_id = t.id AND h.business_date <= ${window.startOfWindow}::date
          ORDER BY h.business_date DESC, h.id DESC LIMIT 1)) AS rank_before,
        array_position(${[...bucketNames]}::text[], (
          SELECT h.to_bucket FROM bucket_history h
          WHERE h.loan_id = t.id AND h.business_date <= ${window.to}::date
          ORDER BY h.business_date DESC, h.id DESC LIMIT 1)) AS rank_after
      FROM their_loans t
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
