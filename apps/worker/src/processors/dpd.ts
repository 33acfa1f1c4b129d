import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { businessToday, type BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  finishDpdRun,
  processChunk,
  startDpdRun,
  type ChunkHooks,
  type DpdRunView,
  type StartRunSettings,
} from '@loanops/dpd';
import { QUEUE_CATALOG, escalationJobId, type Queues } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

export interface DpdProcessorDeps {
  db: Kysely<Database>;
  producers: Queues;
  bucketTable: BucketTable;
  logger: Logger;
  workerName: string;
  /** Borrowers per chunk of a scheduled run (DPD_CHUNK_BORROWERS). */
  chunkBorrowers: number;
  chunkOptions?: StartRunSettings['chunkOptions'];
  hooks?: ChunkHooks;
  /** Called once when a run ends FAILED (after the error-level log line): the alerting hook. */
  onRunFailed: (run: DpdRunView) => void;
  now: () => Date;
}

function parse<S extends z.ZodType>(schema: S, job: Job<unknown>): z.output<S> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
  return parsed.data;
}

const JOBS = QUEUE_CATALOG.dpd.jobs;

/**
 * The dpd queue: `scheduled-run` (made by the job scheduler: starts today's run, IST),
 * `process-chunk` (a run's chunks, in parallel on every dpd worker) and `finish-run` (a run's
 * parent job: closes the run, then hands the escalation of eligible loans to the escalation queue).
 */
export function dpdProcessor(deps: DpdProcessorDeps) {
  return async (job: Job<unknown>): Promise<unknown> => {
    const log = deps.logger.child({ queue: 'dpd', jobName: job.name, jobId: job.id });
    switch (job.name) {
      case 'scheduled-run': {
        parse(JOBS['scheduled-run'], job);
        const businessDate = businessToday(deps.now());
        const outcome = await startDpdRun(
          deps.db,
          deps.producers,
          { businessDate, trigger: 'SCHEDULE', actor: { type: 'system', id: 'scheduler' } },
          { chunkBorrowers: deps.chunkBorrowers, ...(deps.chunkOptions ? { chunkOptions: deps.chunkOptions } : {}) },
        );
        const level = outcome.status === 'STARTED' ? 'info' : 'warn';
        log[level]({ businessDate, outcome: outcome.status, runId: outcome.run.id }, 'scheduled DPD run');
        return { outcome: outcome.status, runId: outcome.run.id };
      }
      case 'process-chunk': {
        const data = parse(JOBS['process-chunk'], job);
        const outcome = await processChunk(
          deps.db,
          {
            runId: data.runId,
            chunkNo: data.chunkNo,
            businessDate: data.businessDate,
            range: { from: data.fromBorrowerId, to: data.toBorrowerId },
          },
          { bucketTable: deps.bucketTable, ...(deps.hooks ? { hooks: deps.hooks } : {}) },
        );
        if (outcome.status === 'SKIPPED') log.warn({ runId: data.runId, chunkNo: data.chunkNo, reason: outcome.reason }, 'chunk skipped');
        else log.debug({ runId: data.runId, chunkNo: data.chunkNo, ...outcome.counts, alreadyDone: outcome.alreadyDone }, 'chunk done');
        return outcome;
      }
      case 'finish-run':
        return finishRun(job, parse(JOBS['finish-run'], job).runId, log);
      default:
        throw new UnrecoverableError(`unknown job ${job.name}`);
    }
  };

  async function finishRun(job: Job<unknown>, runId: number, log: Logger): Promise<{ status: string; runId: number }> {
    const failures = Object.values(await job.getIgnoredChildrenFailures());
    const outcome = await finishDpdRun(deps.db, runId, {
      failures,
      actor: { type: 'system', id: deps.workerName },
      now: deps.now(),
    });
    switch (outcome.status) {
      case 'NOT_FOUND':
        throw new UnrecoverableError(`no DPD run ${runId}`);
      case 'FAILED':
        if (!outcome.alreadyFinished) {
          log.error({ runId, businessDate: outcome.run.businessDate, error: outcome.run.error }, 'DPD run failed');
          deps.onRunFailed(outcome.run);
        }
        return { status: outcome.status, runId };
      case 'SUCCEEDED': {
        const { run } = outcome;
        if (!outcome.alreadyFinished) {
          log.info(
            { runId, businessDate: run.businessDate, loansScanned: run.loansScanned, dpdChanged: run.dpdChanged, bucketChanges: run.bucketChanges },
            'DPD run succeeded',
          );
        }
        // Enqueued once the run is closed; the job id makes a second close enqueue nothing new.
        await deps.producers.add('escalation', 'escalate', { runId, businessDate: run.businessDate }, { jobId: escalationJobId(runId) });
        return { status: outcome.status, runId };
      }
    }
  }
}
