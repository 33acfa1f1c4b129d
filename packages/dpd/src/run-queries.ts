import { sql, type Kysely } from 'kysely';
import { NotFoundError } from '@loanops/domain';
import type { Database, RunStatus, RunTrigger } from '@loanops/db';
import { decodeCursor, encodeCursor } from '@loanops/loan-book';
import type { ChunkTotals, JobRunRow } from './sql/job-runs.js';

/** A DPD run as the API shows it. */
export interface DpdRunView {
  id: number;
  businessDate: string;
  trigger: RunTrigger;
  /** `user:<id>` for a run started by hand, `scheduler` for the daily one. */
  triggeredBy: string | null;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  chunksTotal: number | null;
  chunksDone: number;
  loansScanned: number;
  dpdChanged: number;
  /** Bucket-history rows written (a loan that crossed two thresholds counts two). */
  bucketChanges: number;
  escalations: number;
  error: string | null;
}

/** The view of a run; a RUNNING one shows what its finished chunks add up to so far. */
export function toRunView(row: JobRunRow, progress?: ChunkTotals): DpdRunView {
  const counts = row.status === 'RUNNING' && progress ? progress : null;
  return {
    id: row.id,
    businessDate: row.business_date,
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    chunksTotal: row.chunks_total,
    chunksDone: counts?.chunksDone ?? row.chunks_done,
    loansScanned: counts?.loansScanned ?? row.loans_scanned,
    dpdChanged: counts?.dpdChanged ?? row.dpd_changed,
    bucketChanges: counts?.bucketChanges ?? row.bucket_changes,
    escalations: row.escalations,
    error: row.error,
  };
}

export interface DpdRunFilters {
  status?: RunStatus | undefined;
  cursor?: string | undefined;
  limit: number;
}

type RunWithProgress = JobRunRow & {
  progress_chunks: number | null;
  progress_scanned: number | null;
  progress_dpd: number | null;
  progress_buckets: number | null;
};

function view(row: RunWithProgress): DpdRunView {
  const progress =
    row.progress_chunks === null
      ? undefined
      : {
          chunksDone: row.progress_chunks,
          loansScanned: row.progress_scanned ?? 0,
          dpdChanged: row.progress_dpd ?? 0,
          bucketChanges: row.progress_buckets ?? 0,
        };
  return toRunView(row, progress);
}

function runsWithProgress(db: Kysely<Database>) {
  return db
    .selectFrom('job_runs as r')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('dpd_run_chunks as c')
          .select([
            sql<number>`count(*)::int`.as('progress_chunks'),
            sql<number>`sum(c.loans_scanned)::int`.as('progress_scanned'),
            sql<number>`sum(c.dpd_changed)::int`.as('progress_dpd'),
            sql<number>`sum(c.bucket_changes)::int`.as('progress_buckets'),
          ])
          .whereRef('c.run_id', '=', 'r.id')
          .as('p'),
      (join) => join.on('r.status', '=', 'RUNNING'),
    )
    .selectAll('r')
    .select(['p.progress_chunks', 'p.progress_scanned', 'p.progress_dpd', 'p.progress_buckets'])
    .where('r.kind', '=', 'DPD');
}

/** The run history, newest first, keyset-paginated. */
export async function listDpdRuns(
  db: Kysely<Database>,
  filters: DpdRunFilters,
): Promise<{ items: DpdRunView[]; nextCursor: string | null }> {
  let query = runsWithProgress(db);
  if (filters.cursor !== undefined) query = query.where('r.id', '<', decodeCursor(filters.cursor));
  if (filters.status !== undefined) query = query.where('r.status', '=', filters.status);
  const rows = (await query.orderBy('r.id', 'desc').limit(filters.limit + 1).execute()) as RunWithProgress[];
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return { items: page.map(view), nextCursor: rows.length > filters.limit && last ? encodeCursor(last.id) : null };
}

export async function getDpdRun(db: Kysely<Database>, runId: number): Promise<DpdRunView> {
  const row = (await runsWithProgress(db).where('r.id', '=', runId).executeTakeFirst()) as RunWithProgress | undefined;
  if (!row) throw new NotFoundError('DPD run', runId);
  return view(row);
}
