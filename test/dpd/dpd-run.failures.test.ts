import { Job } from 'bullmq';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { processChunk, type ChunkTask, type DpdRunView } from '@loanops/dpd';
import { dpdChunkJobId } from '@loanops/queues';
import { sweepStaleDpdRuns } from '../../apps/worker/src/dpd-run-sweeper.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { historyOf, loanWithDues, startRun, standingOf, waitForRunEnd } from './helpers.js';

let database: TestDatabase;
let redis: TestRedis;
let worker: ReturnType<typeof startTestWorker>;
/** What the chunks' afterLock hook does; each test sets it. */
let onChunk: (task: ChunkTask) => void = () => undefined;
const failedRuns: DpdRunView[] = [];
const loans: number[] = [];
const fastRetry = { attempts: 3, backoff: { type: 'fixed' as const, delay: 50 } };

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  worker = startTestWorker(database, redis.url, redis.prefix, {
    queues: ['dpd'],
    dpd: {
      hooks: { afterLock: async (task) => onChunk(task) },
      onRunFailed: (run) => failedRuns.push(run),
    },
  });
  // Six borrowers, three chunks of two.
  for (let i = 0; i < 6; i += 1) loans.push(await loanWithDues(database, ['2026-01-05', '2026-02-05'], '2026-01-01'));
});
afterAll(async () => {
  await worker.closeAll();
  await redis.cleanup();
  await database.drop();
});

async function chunkJob(runId: number, chunkNo: number) {
  return Job.fromId(redis.queues.get('dpd'), dpdChunkJobId(runId, chunkNo));
}

describe('a DPD run when chunks fail', () => {
  it('retries a chunk that fails once, and the run succeeds with every loan counted once', async () => {
    const failed = new Set<number>();
    onChunk = (task) => {
      if (task.chunkNo === 1 && !failed.has(task.runId)) {
        failed.add(task.runId);
        throw new Error('injected: chunk 1 fails its first attempt');
      }
    };
    const started = await startRun(database, redis.queues, '2026-02-10', { chunkOptions: fastRetry });
    const run = await waitForRunEnd(database, started.run.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', chunksTotal: 3, chunksDone: 3, loansScanned: 6, dpdChanged: 6, error: null });
    // BullMQ counts every finished attempt, the successful one included.
    expect((await chunkJob(run.id, 1))?.attemptsMade).toBe(2);
    expect((await chunkJob(run.id, 0))?.attemptsMade).toBe(1);
    for (const loanId of loans) expect(await standingOf(database, loanId)).toMatchObject({ dpd: 36, bucket: 'SMA-1' });
  });

  it('retries a deadlocked chunk in place, without spending a job attempt', async () => {
    let thrown = false;
    onChunk = (task) => {
      if (task.chunkNo === 2 && !thrown) {
        thrown = true;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }
    };
    const started = await startRun(database, redis.queues, '2026-02-11', { chunkOptions: fastRetry });
    const run = await waitForRunEnd(database, started.run.id);
    expect(thrown).toBe(true);
    expect(run).toMatchObject({ status: 'SUCCEEDED', loansScanned: 6 });
    expect((await chunkJob(run.id, 2))?.attemptsMade).toBe(1);
  });

  it('fails the run for good when a chunk keeps failing: error recorded, alert hook called, audited', async () => {
    onChunk = (task) => {
      if (task.chunkNo === 0) throw new Error('injected: chunk 0 always fails');
    };
    const started = await startRun(database, redis.queues, '2026-02-12', { chunkOptions: { ...fastRetry, attempts: 2 } });
    const run = await waitForRunEnd(database, started.run.id);
    expect(run).toMatchObject({ status: 'FAILED', chunksTotal: 3, chunksDone: 2, loansScanned: 4 });
    expect(run.error).toMatch(/^1 of 3 chunks did not finish: .*injected: chunk 0 always fails/);
    expect(run.finishedAt).not.toBeNull();
    expect(failedRuns.map((failed) => failed.id)).toEqual([run.id]);
    expect((await chunkJob(run.id, 0))?.attemptsMade).toBe(2);
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'DPD_RUN_FAILED').where('entity_id', '=', String(run.id)).execute();
    expect(audit).toHaveLength(1);
    // The chunks that finished kept their work; chunk 0's loans still hold the day before.
    expect(await standingOf(database, loans[0] as number)).toMatchObject({ dpd: 37, dpd_as_of: '2026-02-11' });
    expect(await standingOf(database, loans[5] as number)).toMatchObject({ dpd: 38, dpd_as_of: '2026-02-12' });
  });

  it('lets the failed date run again once the cause is gone', async () => {
    onChunk = () => undefined;
    const started = await startRun(database, redis.queues, '2026-02-12', { chunkOptions: fastRetry });
    expect(started.status).toBe('STARTED');
    const run = await waitForRunEnd(database, started.run.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', loansScanned: 6 });
    for (const loanId of loans) expect(await standingOf(database, loanId)).toMatchObject({ dpd: 38, dpd_as_of: '2026-02-12' });
  });
});

describe('a chunk run twice, and a run whose jobs are lost', () => {
  async function runningRun(businessDate: string, startedAgoMs = 0) {
    const result = await sql<{ id: number }>`
      INSERT INTO job_runs (kind, business_date, trigger, chunks_total, started_at)
      VALUES ('DPD', ${businessDate}, 'MANUAL', 1, now() - make_interval(secs => ${startedAgoMs / 1000}))
      RETURNING id`.execute(database.db);
    return Number(result.rows[0]?.id);
  }

  it('changes nothing the second time and returns what the first recorded', async () => {
    const runId = await runningRun('2026-03-20');
    const task: ChunkTask = { runId, chunkNo: 0, businessDate: '2026-03-20', range: { from: 0, to: null } };
    const first = await processChunk(database.db, task, { bucketTable: DEFAULT_BUCKET_TABLE });
    const history = await historyOf(database, loans[0] as number);
    const second = await processChunk(database.db, task, { bucketTable: DEFAULT_BUCKET_TABLE });
    expect(first).toMatchObject({ status: 'DONE', alreadyDone: false, counts: { loansScanned: 6, dpdChanged: 6, bucketChanges: 6 } });
    expect(second).toEqual({ ...first, alreadyDone: true });
    expect(await historyOf(database, loans[0] as number)).toEqual(history);
    expect(history.at(-1)).toEqual(['2026-03-07', 'SMA-1', 'SMA-2', 61, 'DPD_RUN']);
  });

  it('writes nothing for a run that is no longer running', async () => {
    const runId = await runningRun('2026-03-21');
    await sql`UPDATE job_runs SET status = 'FAILED', finished_at = now(), error = 'given up' WHERE id = ${runId}`.execute(database.db);
    const outcome = await processChunk(
      database.db,
      { runId, chunkNo: 0, businessDate: '2026-03-21', range: { from: 0, to: null } },
      { bucketTable: DEFAULT_BUCKET_TABLE },
    );
    expect(outcome).toEqual({ status: 'SKIPPED', reason: 'RUN_NOT_RUNNING' });
    expect(await standingOf(database, loans[0] as number)).toMatchObject({ dpd_as_of: '2026-03-20' });
  });

  it('fails a run still RUNNING whose jobs are gone from Redis, and leaves a live one alone', async () => {
    const lost = await runningRun('2026-03-22', 10 * 60_000);
    const fresh = await runningRun('2026-03-23', 0);
    const alerted: DpdRunView[] = [];
    const failed = await sweepStaleDpdRuns({
      db: database.db,
      queue: redis.queues.get('dpd'),
      logger: pino({ level: 'silent' }),
      actorId: 'test-sweeper',
      olderThanMs: 60_000,
      intervalMs: 1_000,
      onRunFailed: (run) => alerted.push(run),
    });
    expect(failed.map((run) => run.id)).toEqual([lost]);
    expect(alerted.map((run) => run.id)).toEqual([lost]);
    const rows = await database.db.selectFrom('job_runs').select(['id', 'status', 'error']).where('id', 'in', [lost, fresh]).orderBy('id').execute();
    expect(rows[0]).toMatchObject({ id: lost, status: 'FAILED' });
    expect(rows[0]?.error).toMatch(/gone from the queue/);
    expect(rows[1]).toMatchObject({ id: fresh, status: 'RUNNING' });
    await sql`UPDATE job_runs SET status = 'FAILED', finished_at = now(), error = 'test cleanup' WHERE id = ${fresh}`.execute(database.db);
  });
});
