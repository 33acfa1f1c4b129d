import type { Kysely, Transaction } from 'kysely';
import { performingBucketName, reclassifyBorrower, type BucketTable, type BusinessDate, type HeldStanding } from '@loanops/domain';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import type { BorrowerRange } from './sql/job-runs.js';
import { chunkState, lockChunkLoans, readChunkStanding, writeChunk, type ChunkCounts, type ChunkWrite } from './sql/process-chunk.js';

export type { ChunkCounts } from './sql/process-chunk.js';

export interface ChunkTask {
  runId: number;
  chunkNo: number;
  businessDate: BusinessDate;
  range: BorrowerRange;
}

/**
 * Points where tests (and only tests) step into a chunk's transaction: `afterLock` runs while the
 * chunk holds its loans' locks and before it reads their installments.
 */
export interface ChunkHooks {
  afterLock?: (task: ChunkTask) => Promise<void>;
}

export interface ChunkSettings {
  bucketTable: BucketTable;
  hooks?: ChunkHooks;
  /** Deadlocks and serialization failures are retried in place this many times in all. */
  attempts?: number;
}

export type ChunkOutcome =
  | { status: 'DONE'; counts: ChunkCounts; alreadyDone: boolean }
  /** The run is no longer RUNNING (failed by the sweeper) or gone: nothing was written. */
  | { status: 'SKIPPED'; reason: 'RUN_NOT_RUNNING' | 'RUN_NOT_FOUND' };

class ChunkDoneElsewhereError extends Error {
  constructor() {
    super('the chunk was finished by another execution');
    this.name = 'ChunkDoneElsewhereError';
  }
}

/**
 * Classifies every live loan of a chunk's borrowers for the run's business date in one
 * transaction: lock, read, reclassify (reclassifyBorrower: sticky, borrower-wide NPA, one history
 * row per threshold crossed, dated the day it was crossed), write. Running it again changes nothing
 * and returns what the first execution recorded. Deadlocks are retried here before the job's own
 * retries take over.
 */
export async function processChunk(db: Kysely<Database>, task: ChunkTask, settings: ChunkSettings): Promise<ChunkOutcome> {
  const attempts = settings.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction().execute((trx) => chunkTransaction(trx, task, settings));
    } catch (error) {
      if (error instanceof ChunkDoneElsewhereError) {
        const state = await db.transaction().execute((trx) => chunkState(trx, task.runId, task.chunkNo));
        if (state?.done) return { status: 'DONE', counts: state.done, alreadyDone: true };
      }
      if (isRetryableTransactionError(error) && attempt < attempts) continue;
      throw error;
    }
  }
}

async function chunkTransaction(
  trx: Transaction<Database>,
  task: ChunkTask,
  settings: ChunkSettings,
): Promise<ChunkOutcome> {
  const state = await chunkState(trx, task.runId, task.chunkNo);
  if (!state) return { status: 'SKIPPED', reason: 'RUN_NOT_FOUND' };
  if (state.done) return { status: 'DONE', counts: state.done, alreadyDone: true };
  if (state.status !== 'RUNNING') return { status: 'SKIPPED', reason: 'RUN_NOT_RUNNING' };

  const { live } = await lockChunkLoans(trx, task.range);
  await settings.hooks?.afterLock?.(task);
  const loans = await readChunkStanding(trx, task.range, task.businessDate, performingBucketName(settings.bucketTable));

  const write: ChunkWrite = {
    runId: task.runId,
    chunkNo: task.chunkNo,
    range: task.range,
    businessDate: task.businessDate,
    standings: [],
    crossings: [],
    counts: { loansScanned: live, dpdChanged: 0, bucketChanges: 0 },
  };
  // Ordered by borrower: classified a borrower at a time.
  let borrower: HeldStanding[] = [];
  const classify = () => {
    for (const change of reclassifyBorrower(borrower, task.businessDate, settings.bucketTable)) {
      write.standings.push({ loanId: change.loanId, dpd: change.dpdAfter, bucket: change.bucketAfter });
      if (change.dpdAfter !== change.dpdBefore) write.counts.dpdChanged += 1;
      for (const crossing of change.crossings) write.crossings.push({ loanId: change.loanId, ...crossing });
    }
    borrower = [];
  };
  for (const [index, loan] of loans.entries()) {
    if (index > 0 && loans[index - 1]?.borrowerId !== loan.borrowerId) classify();
    borrower.push(loan);
  }
  classify();
  write.counts.bucketChanges = write.crossings.length;
  if (!(await writeChunk(trx, write))) throw new ChunkDoneElsewhereError();
  return { status: 'DONE', counts: write.counts, alreadyDone: false };
}
