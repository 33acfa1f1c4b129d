import { Job } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, isUniqueViolation } from '@loanops/db';
import { DpdRunNotEnqueuedError } from '@loanops/dpd';
import { createQueues, dpdRunJobId } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues, runDpd, startRun, waitForRunEnd } from './helpers.js';

let database: TestDatabase;
let redis: TestRedis;
let worker: ReturnType<typeof startTestWorker>;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'] });
  for (let i = 0; i < 5; i += 1) await loanWithDues(database, ['2026-01-05', '2026-02-05'], '2026-01-01');
});
afterAll(async () => {
  await worker.closeAll();
  await redis.cleanup();
  await database.drop();
});

async function runsOf(businessDate: string) {
  return database.db
    .selectFrom('job_runs')
    .select(['id', 'status', 'trigger'])
    .where('kind', '=', 'DPD')
    .where('business_date', '=', businessDate)
    .orderBy('id')
    .execute();
}

describe('once per business date', () => {
  it('a second trigger for a date that succeeded does nothing and says so', async () => {
    const first = await runDpd(database, redis.queues, '2026-02-01');
    expect(first.status).toBe('SUCCEEDED');
    const again = await startRun(database, redis.queues, '2026-02-01');
    expect(again).toMatchObject({ status: 'EXISTS', run: { id: first.id, status: 'SUCCEEDED' } });
    expect(await runsOf('2026-02-01')).toHaveLength(1);
  });

  it('a trigger while the date is running does nothing and says so', async () => {
    const queue = redis.queues.get('dpd');
    await queue.pause();
    try {
      const started = await startRun(database, redis.queues, '2026-02-02');
      expect(started).toMatchObject({ status: 'STARTED', run: { status: 'RUNNING' } });
      const again = await startRun(database, redis.queues, '2026-02-02');
      expect(again).toMatchObject({ status: 'EXISTS', run: { id: started.run.id, status: 'RUNNING' } });
    } finally {
      await queue.resume();
    }
    const [run] = await runsOf('2026-02-02');
    expect((await waitForRunEnd(database, run?.id as number)).status).toBe('SUCCEEDED');
    expect(await runsOf('2026-02-02')).toHaveLength(1);
  });

  it('two processes triggering the same date at the same moment make one run', async () => {
    // Two "processes": each its own database pool and Redis connection.
    const others = [0, 1].map(() => {
      const handle = createDb({ databaseUrl: database.url, poolMax: 5 });
      const connection = createRedis(redis.url);
      return { handle, connection, queues: createQueues(connection, redis.prefix) };
    });
    try {
      const outcomes = await Promise.all(
        others.flatMap((other) =>
          Array.from({ length: 5 }, () => startRun({ ...database, db: other.handle.db }, other.queues, '2026-02-03')),
        ),
      );
      const started = outcomes.filter((outcome) => outcome.status === 'STARTED');
      expect(started).toHaveLength(1);
      const runId = started[0]?.run.id as number;
      expect(outcomes.every((outcome) => outcome.run.id === runId)).toBe(true);
      expect(outcomes.filter((outcome) => outcome.status === 'EXISTS')).toHaveLength(9);
      expect((await waitForRunEnd(database, runId)).status).toBe('SUCCEEDED');
      expect(await runsOf('2026-02-03')).toHaveLength(1);
      expect(await Job.fromId(redis.queues.get('dpd'), dpdRunJobId(runId))).toBeDefined();
    } finally {
      for (const other of others) {
        await other.queues.close();
        await other.connection.quit();
        await other.handle.close();
      }
    }
  });

  it('the database itself refuses a second running or successful run for a date', async () => {
    const insert = (status: string) =>
      sql`INSERT INTO job_runs (kind, business_date, trigger, status, finished_at)
          VALUES ('DPD', '2026-02-03', 'MANUAL', ${status}, CASE WHEN ${status} = 'RUNNING' THEN NULL ELSE now() END)`.execute(database.db);
    for (const status of ['RUNNING', 'SUCCEEDED']) {
      const error = await insert(status).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(isUniqueViolation(error, 'job_runs_once_per_date')).toBe(true);
    }
  });

  it('a failed run may be run again', async () => {
    await sql`INSERT INTO job_runs (kind, business_date, trigger, status, finished_at, error)
              VALUES ('DPD', '2026-02-04', 'SCHEDULE', 'FAILED', now(), 'a chunk failed')`.execute(database.db);
    const retried = await runDpd(database, redis.queues, '2026-02-04');
    expect(retried.status).toBe('SUCCEEDED');
    expect((await runsOf('2026-02-04')).map((run) => run.status)).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('fails a run at once when its jobs cannot be enqueued, and the date can run again', async () => {
    const redisDown = { ...redis.queues, addFlow: () => Promise.reject(new Error('Connection is closed.')) };
    const error = await startRun(database, redisDown, '2026-02-05').then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DpdRunNotEnqueuedError);
    expect(error).toMatchObject({ code: 'QUEUE_UNAVAILABLE', status: 503 });
    const [failed] = await database.db.selectFrom('job_runs').selectAll().where('business_date', '=', '2026-02-05').execute();
    expect(failed).toMatchObject({ status: 'FAILED', error: 'its jobs could not be enqueued: Connection is closed.' });
    expect((await runDpd(database, redis.queues, '2026-02-05')).status).toBe('SUCCEEDED');
  });

  it('refuses a date before one that already ran (runs only move forward)', async () => {
    const outcome = await startRun(database, redis.queues, '2026-02-01');
    expect(outcome).toMatchObject({ status: 'EXISTS' });
    const earlier = await startRun(database, redis.queues, '2026-01-31');
    expect(earlier).toMatchObject({ status: 'SUPERSEDED', run: { businessDate: '2026-02-05', status: 'SUCCEEDED' } });
    expect(await runsOf('2026-01-31')).toEqual([]);
  });
});
