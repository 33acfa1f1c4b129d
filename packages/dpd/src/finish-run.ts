import type { Kysely } from 'kysely';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import { toRunView, type DpdRunView } from './run-queries.js';
import { closeRun, findRunningRuns, lockRun, sumChunks } from './sql/job-runs.js';

export type FinishOutcome =
  | { status: 'SUCCEEDED' | 'FAILED'; run: DpdRunView; alreadyFinished: boolean }
  | { status: 'NOT_FOUND' };

/**
 * Closes a run once its flow has settled: SUCCEEDED with the totals of its chunks when every chunk
 * is in the ledger, else FAILED naming how many did not finish and why (`failures`: the reasons
 * of chunk jobs that failed for good). Audited. Closing a closed run changes nothing.
 */
export async function finishDpdRun(
  db: Kysely<Database>,
  runId: number,
  context: { failures: readonly string[]; actor: Actor; now: Date },
): Promise<FinishOutcome> {
  return db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    if (!run) return { status: 'NOT_FOUND' as const };
    if (run.status !== 'RUNNING') return { status: run.status, run: toRunView(run), alreadyFinished: true };
    const totals = await sumChunks(trx, runId);
    const expected = run.chunks_total ?? 0;
    const missing = expected - totals.chunksDone;
    const error =
      missing > 0
        ? `${missing} of ${expected} chunks did not finish` +
          (context.failures.length > 0 ? `: ${[...new Set(context.failures)].slice(0, 5).join('; ')}` : '')
        : undefined;
    const closed = await closeRun(trx, runId, {
      status: error === undefined ? 'SUCCEEDED' : 'FAILED',
      totals,
      ...(error === undefined ? {} : { error }),
      now: context.now,
    });
    if (!closed) throw new Error(`DPD run ${runId} changed while it was locked`);
    await recordAudit(trx, {
      actor: context.actor,
      action: closed.status === 'SUCCEEDED' ? 'DPD_RUN_SUCCEEDED' : 'DPD_RUN_FAILED',
      entityType: 'job_run',
      entityId: runId,
      before: { status: 'RUNNING' },
      after: {
        status: closed.status,
        businessDate: closed.business_date,
        chunksTotal: expected,
        ...totals,
        error: closed.error,
      },
    });
    return { status: closed.status as 'SUCCEEDED' | 'FAILED', run: toRunView(closed), alreadyFinished: false };
  });
}

/** Fails a RUNNING run with a reason (audited); null when it was not RUNNING. */
export async function failDpdRun(
  db: Kysely<Database>,
  runId: number,
  context: { error: string; actor: Actor; now: Date },
): Promise<DpdRunView | null> {
  return db.transaction().execute(async (trx) => {
    // Waits for chunks at work on the run; those after it find it FAILED and write nothing.
    const run = await lockRun(trx, runId);
    if (run?.status !== 'RUNNING') return null;
    const totals = await sumChunks(trx, runId);
    const closed = await closeRun(trx, runId, { status: 'FAILED', totals, error: context.error, now: context.now });
    if (!closed) return null;
    await recordAudit(trx, {
      actor: context.actor,
      action: 'DPD_RUN_FAILED',
      entityType: 'job_run',
      entityId: runId,
      before: { status: 'RUNNING' },
      after: { status: 'FAILED', businessDate: closed.business_date, chunksTotal: closed.chunks_total, ...totals, error: context.error },
    });
    return toRunView(closed);
  });
}

/** DPD runs RUNNING for longer than `olderThanMs` (candidates for the stale-run sweeper). */
export async function findLongRunningRuns(db: Kysely<Database>, context: { now: Date; olderThanMs: number }): Promise<DpdRunView[]> {
  const rows = await findRunningRuns(db, new Date(context.now.getTime() - context.olderThanMs));
  return rows.map((row) => toRunView(row));
}
