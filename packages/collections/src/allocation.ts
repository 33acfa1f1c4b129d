import { sql, type Kysely } from 'kysely';
import { setTransactionBusinessDate, type Actor, type Database, type LoanStatus } from '@loanops/db';
import type { BusinessDate } from '@loanops/domain';
import { CollectorNotFoundError, LoansNotFoundError } from './errors.js';

/** Which loans a bulk allocation takes: a list, or every loan matching a filter. */
export type AllocationTarget =
  | { loanIds: readonly number[] }
  | {
      filter: {
        bucket?: string | undefined;
        /** Borrowers whose PIN code starts with this (a city, a district). */
        pinCodePrefix?: string | undefined;
        /** Default: loans still in collections (ACTIVE, LEGAL). */
        status?: LoanStatus | undefined;
        /** Loans now with this collector; null for loans with none. */
        currentCollectorId?: number | null | undefined;
      };
    };

export interface AllocationResult {
  collectorId: number;
  /** Loans that moved to the collector (those already theirs are left as they are). */
  allocated: number;
  /** Loans that matched and were already theirs. */
  unchanged: number;
}

/**
 * Allocates loans to a collector in one transaction and one statement: locks the matching loans in
 * id order (as payments and DPD runs do), moves them, and writes an audit entry per loan with the
 * collector before and after. The allocation history (loan_allocations, kept by a trigger) dates
 * the moves `today`, else the database's IST date. An unknown collector or loan id allocates nothing.
 */
export async function allocateLoans(
  db: Kysely<Database>,
  collectorId: number,
  target: AllocationTarget,
  context: { actor: Actor; requestId: string | null; today?: BusinessDate | undefined },
): Promise<AllocationResult> {
  return db.transaction().execute(async (trx) => {
    if (context.today !== undefined) await setTransactionBusinessDate(trx, context.today);
    const collector = await trx
      .selectFrom('collectors')
      .select('id')
      .where('id', '=', collectorId)
      .where('active', '=', true)
      .forShare()
      .executeTakeFirst();
    if (!collector) throw new CollectorNotFoundError(collectorId);

    let condition;
    if ('loanIds' in target) {
      const ids = [...new Set(target.loanIds)];
      const found = await trx.selectFrom('loans').select('id').where('id', 'in', ids).execute();
      const known = new Set(found.map((row) => row.id));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length > 0) throw new LoansNotFoundError(missing);
      condition = sql`l.id = ANY(${ids}::bigint[])`;
    } else {
      const { filter } = target;
      const parts = [
        filter.status === undefined ? sql`l.status IN ('ACTIVE', 'LEGAL')` : sql`l.status = ${filter.status}`,
        ...(filter.bucket === undefined ? [] : [sql`l.bucket = ${filter.bucket}`]),
        ...(filter.pinCodePrefix === undefined
          ? []
          : [sql`l.borrower_id IN (SELECT b.id FROM borrowers b WHERE b.pin_code LIKE ${`${filter.pinCodePrefix}%`})`]),
        ...(filter.currentCollectorId === undefined
          ? []
          : filter.currentCollectorId === null
            ? [sql`l.collector_id IS NULL`]
            : [sql`l.collector_id = ${filter.currentCollectorId}`]),
      ];
      condition = sql.join(parts, sql` AND `);
    }

    const result = await sql<{ moved: number; matched: number }>`
      WITH matched AS (
        SELECT l.id, l.collector_id FROM loans l
        WHERE ${condition}
        ORDER BY l.id
        FOR UPDATE
      ),
      moved AS (
        UPDATE loans AS l SET collector_id = ${collectorId}, version = l.version + 1
        FROM matched m
        WHERE l.id = m.id AND m.collector_id IS DISTINCT FROM ${collectorId}
        RETURNING l.id, m.collector_id AS before
      ),
      audited AS (
        INSERT INTO audit_log (actor_type, actor_id, actor_role, action, entity_type, entity_id, before, after, metadata, request_id)
        SELECT ${context.actor.type}, ${context.actor.id}, ${context.actor.role ?? null}, 'LOAN_COLLECTOR_ASSIGNED', 'loan', id::text,
               jsonb_build_object('collectorId', before), jsonb_build_object('collectorId', ${collectorId}::bigint),
               jsonb_build_object('bulk', true), ${context.requestId}
        FROM moved ORDER BY id
      )
      SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM matched)::int AS matched`.execute(trx);
    const row = result.rows[0] ?? { moved: 0, matched: 0 };
    return { collectorId, allocated: row.moved, unchanged: row.matched - row.moved };
  });
}

export interface CollectorView {
  id: number;
  code: string;
  name: string;
  active: boolean;
  loans: number;
}

/** The collectors with how many live loans each has. */
export async function listCollectors(db: Kysely<Database>): Promise<CollectorView[]> {
  const rows = await sql<{ id: number; code: string; name: string; active: boolean; loans: number }>`
    SELECT c.id, c.code, c.name, c.active,
           (SELECT count(*) FROM loans l WHERE l.collector_id = c.id AND l.status IN ('ACTIVE', 'LEGAL'))::int AS loans
    FROM collectors c ORDER BY c.id`.execute(db);
  return rows.rows.map((row) => ({ ...row, id: Number(row.id) }));
}
