import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database, RunStatus, RunTrigger } from '@loanops/db';

type Db = Kysely<Database> | Transaction<Database>;
export type JobRunRow = Selectable<Database['job_runs']>;

/** A range of borrower ids, inclusive; `to` null for the last (open-ended) chunk. */
export interface BorrowerRange {
  from: number;
  to: number | null;
}

/** The DPD run that holds `businessDate` (RUNNING or SUCCEEDED), if any. */
export async function findRunHoldingDate(db: Db, businessDate: BusinessDate): Promise<JobRunRow | undefined> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('kind', '=', 'DPD')
    .where('business_date', '=', businessDate)
    .where('status', 'in', ['RUNNING', 'SUCCEEDED'])
    .executeTakeFirst();
}

/** The latest DPD run (RUNNING or SUCCEEDED) for a date after `businessDate`, if any. */
export async function findLaterRun(db: Db, businessDate: BusinessDate): Promise<JobRunRow | undefined> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('kind', '=', 'DPD')
    .where('business_date', '>', businessDate)
    .where('status', 'in', ['RUNNING', 'SUCCEEDED'])
    .orderBy('business_date', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Inserts a RUNNING DPD run for the date. The partial unique index job_runs_once_per_date
 * (RUNNING or SUCCEEDED, per kind and date) decides: null when the date is already held.
 */
export async function insertRun(
  db: Db,
  run: { businessDate: BusinessDate; trigger: RunTrigger; triggeredBy: string },
): Promise<JobRunRow | null> {
  const result = await sql<JobRunRow>`
    INSERT INTO job_runs (kind, business_date, trigger, triggered_by)
    VALUES ('DPD', ${run.businessDate}::date, ${run.trigger}, ${run.triggeredBy})
    ON CONFLICT (kind, business_date) WHERE status IN ('RUNNING', 'SUCCEEDED') DO NOTHING
    RETURNING *`.execute(db);
  return result.rows[0] ?? null;
}

/**
 * Splits the borrowers into ranges of `borrowersPerChunk` by id (every loan of a borrower falls in
 * one chunk, since NPA is borrower-wide). Borrowers added later fall in the open-ended last range.
 */
export async function planChunks(db: Db, borrowersPerChunk: number): Promise<BorrowerRange[]> {
  const result = await sql<{ id: number }>`
    SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM borrowers) b
    WHERE (n - 1) % ${borrowersPerChunk} = 0
    ORDER BY id`.execute(db);
  const starts = result.rows.map((row) => Number(row.id));
  return starts.map((from, index) => {
    const next = starts[index + 1];
    return { from, to: next === undefined ? null : next - 1 };
  });
}

export async function setChunksTotal(db: Db, runId: number, chunks: number): Promise<void> {
  await db.updateTable('job_runs').set({ chunks_total: chunks }).where('id', '=', runId).execute();
}

export interface ChunkTotals {
  chunksDone: number;
  loansScanned: number;
  dpdChanged: number;
  bucketChanges: number;
}

/** What the finished chunks of a run add up to. */
export async function sumChunks(db: Db, runId: number): Promise<ChunkTotals> {
  const row = await db
    .selectFrom('dpd_run_chunks')
    .select([
      sql<number>`count(*)::int`.as('chunks_done'),
      sql<number>`coalesce(sum(loans_scanned), 0)::int`.as('loans_scanned'),
      sql<number>`coalesce(sum(dpd_changed), 0)::int`.as('dpd_changed'),
      sql<number>`coalesce(sum(bucket_changes), 0)::int`.as('bucket_changes'),
    ])
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  return {
    chunksDone: row.chunks_done,
    loansScanned: row.loans_scanned,
    dpdChanged: row.dpd_changed,
    bucketChanges: row.bucket_changes,
  };
}

/** The run row, locked until the caller's transaction ends (closing a run). */
export async function lockRun(trx: Transaction<Database>, runId: number): Promise<JobRunRow | undefined> {
  return trx.selectFrom('job_runs').selectAll().where('id', '=', runId).forUpdate().executeTakeFirst();
}

/** Ends a RUNNING run; returns the row, or undefined when it was not RUNNING any more. */
export async function closeRun(
  db: Db,
  runId: number,
  close: { status: Exclude<RunStatus, 'RUNNING'>; totals?: ChunkTotals; error?: string; now: Date },
): Promise<JobRunRow | undefined> {
  return db
    .updateTable('job_runs')
    .set({
      status: close.status,
      finished_at: close.now,
      error: close.error ?? null,
      ...(close.totals
        ? {
            chunks_done: close.totals.chunksDone,
            loans_scanned: close.totals.loansScanned,
            dpd_changed: close.totals.dpdChanged,
            bucket_changes: close.totals.bucketChanges,
          }
        : {}),
    })
    .where('id', '=', runId)
    .where('status', '=', 'RUNNING')
    .returningAll()
    .executeTakeFirst();
}

/** DPD runs still RUNNING that started before `startedBefore`. */
export async function findRunningRuns(db: Db, startedBefore: Date): Promise<JobRunRow[]> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('kind', '=', 'DPD')
    .where('status', '=', 'RUNNING')
    .where('started_at', '<', startedBefore)
    .orderBy('id')
    .execute();
}
