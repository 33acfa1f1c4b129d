import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import { recordAudit, type Actor, type Database, type RunTrigger } from '@loanops/db';
import { dpdChunkJobId, dpdRunJobId, flowNode, type FlowNode, type Queues } from '@loanops/queues';
import { coerceError } from '@loanops/runtime';
import { DpdRunNotEnqueuedError } from './errors.js';
import { toRunView, type DpdRunView } from './run-queries.js';
import {
  closeRun,
  findLaterRun,
  findRunHoldingDate,
  insertRun,
  planChunks,
  setChunksTotal,
  type BorrowerRange,
} from './sql/job-runs.js';

export interface StartRunRequest {
  businessDate: BusinessDate;
  trigger: RunTrigger;
  /** A user for a run started by hand, the system (`scheduler`) for the daily one. */
  actor: Actor;
  requestId?: string | null;
}

export interface StartRunSettings {
  /** Borrowers per chunk (DPD_CHUNK_BORROWERS). */
  chunkBorrowers: number;
  /** Retry settings of the chunk jobs, on top of the catalog's (tests shorten them). */
  chunkOptions?: FlowNode['options'];
  now?: Date;
}

export type StartRunOutcome =
  /** A run was recorded and its jobs enqueued. */
  | { status: 'STARTED'; run: DpdRunView }
  /** The date already has a RUNNING or SUCCEEDED run: nothing was done. */
  | { status: 'EXISTS'; run: DpdRunView }
  /** A later date already has a RUNNING or SUCCEEDED run, whose catch-up covers this date. */
  | { status: 'SUPERSEDED'; run: DpdRunView };

/**
 * Starts the DPD run of a business date, at most once: a date with a RUNNING or SUCCEEDED run takes
 * no other (the partial unique index job_runs_once_per_date decides, so two processes triggering
 * the same date at the same moment make one run); a FAILED run may be run again. Runs only move
 * forward: a date before one that already ran is refused (that run's catch-up covered it).
 *
 * The run is recorded (with its chunks planned and an audit entry) and committed before its jobs
 * are enqueued as one BullMQ flow: a `finish-run` parent with one `process-chunk` child per range of
 * borrowers. If the flow cannot be enqueued the run is marked FAILED at once (DpdRunNotEnqueuedError,
 * 503); if this process dies
 * in between, the stale-run sweeper of the dpd workers fails it.
 */
export async function startDpdRun(
  db: Kysely<Database>,
  queues: Queues,
  request: StartRunRequest,
  settings: StartRunSettings,
): Promise<StartRunOutcome> {
  const triggeredBy = request.actor.type === 'user' ? `user:${request.actor.id}` : request.actor.id;
  const started = await db.transaction().execute(async (trx) => {
    // Triggers queue here, so "once per date" and "only forward" are judged one at a time.
    await sql`SELECT pg_advisory_xact_lock(hashtext('loanops:dpd-run-start'))`.execute(trx);
    const holding = await findRunHoldingDate(trx, request.businessDate);
    if (holding) return { status: 'EXISTS' as const, run: holding };
    const later = await findLaterRun(trx, request.businessDate);
    if (later) return { status: 'SUPERSEDED' as const, run: later };
    const run = await insertRun(trx, { businessDate: request.businessDate, trigger: request.trigger, triggeredBy });
    if (!run) {
      const winner = await findRunHoldingDate(trx, request.businessDate);
      if (!winner) throw new Error(`DPD run for ${request.businessDate} conflicted but none holds the date`);
      return { status: 'EXISTS' as const, run: winner };
    }
    const chunks = await planChunks(trx, settings.chunkBorrowers);
    await setChunksTotal(trx, run.id, chunks.length);
    await recordAudit(trx, {
      actor: request.actor,
      action: 'DPD_RUN_STARTED',
      entityType: 'job_run',
      entityId: run.id,
      after: { kind: 'DPD', businessDate: request.businessDate, trigger: request.trigger, chunks: chunks.length },
      requestId: request.requestId ?? null,
    });
    return { status: 'STARTED' as const, run: { ...run, chunks_total: chunks.length }, chunks };
  });
  if (started.status !== 'STARTED') return { status: started.status, run: toRunView(started.run) };

  const { run, chunks } = started;
  try {
    await queues.addFlow(runFlow(run.id, request.businessDate, chunks, settings.chunkOptions));
  } catch (error) {
    const reason = `its jobs could not be enqueued: ${coerceError(error).message}`;
    await closeRun(db, run.id, { status: 'FAILED', error: reason, now: settings.now ?? new Date() });
    throw new DpdRunNotEnqueuedError(run.id, error);
  }
  return { status: 'STARTED', run: toRunView(run) };
}

/**
 * A run's flow: the parent closes the run once every chunk has finished; a chunk that fails for
 * good is recorded on the parent (ignoreDependencyOnFailure) so the parent still runs and fails
 * the run with its reason.
 */
function runFlow(runId: number, businessDate: BusinessDate, chunks: readonly BorrowerRange[], chunkOptions?: FlowNode['options']): FlowNode {
  // A book without borrowers has no chunks: the parent alone, which closes the run at once.
  if (chunks.length === 0) return flowNode('dpd', 'finish-run', { runId }, dpdRunJobId(runId));
  return flowNode('dpd', 'finish-run', { runId }, dpdRunJobId(runId), {
    children: chunks.map((range, chunkNo) =>
      flowNode(
        'dpd',
        'process-chunk',
        { runId, chunkNo, businessDate, fromBorrowerId: range.from, toBorrowerId: range.to },
        dpdChunkJobId(runId, chunkNo),
        { options: { ...chunkOptions, ignoreDependencyOnFailure: true } },
      ),
    ),
  });
}
