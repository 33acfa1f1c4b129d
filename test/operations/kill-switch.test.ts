import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessToday } from '@loanops/domain';
import { startQueueControlSync } from '@loanops/operations';
import { QUEUE_NAMES, createQueues, type Queues } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import type { Redis } from 'ioredis';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { spawnWorkerProcess, startTestWorker } from '../support/worker.js';
import { waitFor } from '../support/wait.js';

/**
 * The queue kill switch: a pause holds on every worker, survives restarts of the workers and of
 * the API and a Redis that came back empty (Postgres keeps it), is audited, and a resume posts
 * everything that waited exactly once. Runs on a Redis of its own, since it empties it.
 */
let database: TestDatabase;
let own: OwnRedis;
let connection: Redis;
let queues: Queues;
let api: TestApi;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `KSW${String((utrSeq += 1)).padStart(12, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  own = await startOwnRedis();
  connection = createRedis(own.url);
  queues = createQueues(connection, 'loanops');
  api = await startTestApi(database, queues);
});
afterAll(async () => {
  await api.close();
  await queues.close();
  await connection.quit();
  await own.stop();
  await database.drop();
});

async function intakeCounts(intakes: string[]) {
  const rows = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM payment_intake WHERE id = ANY(${intakes}::uuid[]) GROUP BY status`.execute(database.db);
  return Object.fromEntries(rows.rows.map((row) => [row.status, row.n])) as Record<string, number>;
}

const pausedInRedis = () => queues.get('payments').isPaused();
const control = (name: string) => database.db.selectFrom('queue_controls').selectAll().where('queue_name', '=', name).executeTakeFirst();

/** An edit through the API, waited for until the edits worker applied it: proof a worker is up and taking jobs. */
async function editApplied(loanId: number, notes: string) {
  const response = await api.request('PATCH', `/v1/loans/${loanId}`, { role: 'ops', body: { notes } });
  expect(response.status).toBe(202);
  const { editId } = response.body as { editId: string };
  const view = await waitFor(
    async () => {
      const body = (await api.request('GET', `/v1/loans/${loanId}/edits/${editId}`)).body as { status: string };
      return body.status === 'RECEIVED' ? undefined : body;
    },
    { what: `edit ${notes} to be applied`, timeoutMs: 30_000 },
  );
  expect(view).toMatchObject({ status: 'APPLIED' });
}

describe('POST /v1/admin/queues/:name/pause and /resume', () => {
  it('answer 404 naming an unknown queue, 400 for a bad reason, and refuse ops', async () => {
    const unknown = await api.request('POST', '/v1/admin/queues/invoices/pause', { body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((unknown.body as { error: { message: string } }).error.message).toContain('"invoices"');
    expect((unknown.body as { error: { message: string } }).error.message).toContain('payments');

    const badReason = await api.request('POST', '/v1/admin/queues/edits/pause', { body: { reason: '   ' } });
    expect(badReason.status).toBe(400);
    expect(JSON.stringify(badReason.body)).toContain('reason');
    const unknownField = await api.request('POST', '/v1/admin/queues/edits/pause', { body: { why: 'x' } });
    expect(unknownField.status).toBe(400);

    const ops = await api.request('POST', '/v1/admin/queues/edits/pause', { role: 'ops', body: {} });
    expect(ops.status).toBe(403);
    expect(await control('edits')).toBeUndefined();
    expect(await queues.get('edits').isPaused()).toBe(false);
  });

  it('GET /v1/admin/status shows flags, each queue in Redis and Postgres with counts, and the last runs', async () => {
    await sql`INSERT INTO job_runs (kind, business_date, trigger, triggered_by, status, started_at, finished_at, error)
              VALUES ('DPD', '2026-01-01', 'SCHEDULE', 'test', 'SUCCEEDED', now() - interval '2 days', now(), NULL),
                     ('DPD', '2026-01-02', 'MANUAL', 'test', 'FAILED', now() - interval '1 day', now(), 'boom')`.execute(database.db);
    const flagged = await startTestApi(database, queues, {
      featureFlags: { CRON_ENABLED: false, ESCALATION_ENABLED: true, SCORING_ENABLED: false, REMINDERS_ENABLED: true },
    });
    try {
      await queues.add('escalation', 'escalate', { runId: null, businessDate: today }, { jobId: 'status-probe', delay: 3_600_000 });
      const response = await flagged.request('GET', '/v1/admin/status', { role: 'ops' });
      expect(response.status).toBe(200);
      const body = response.body as {
        flags: Record<string, boolean>;
        queues: { name: string; pausedInRedis: boolean; pausedInPostgres: boolean; counts: Record<string, number> }[];
        lastRuns: { kind: string; businessDate: string; status: string }[];
      };
      expect((response.body as { redis: string }).redis).toBe('ok');
      expect(body.flags).toEqual({ CRON_ENABLED: false, ESCALATION_ENABLED: true, SCORING_ENABLED: false, REMINDERS_ENABLED: true });
      expect(body.queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
      expect(body.queues.find((queue) => queue.name === 'escalation')).toMatchObject({
        pausedInRedis: false,
        pausedInPostgres: false,
        counts: { delayed: 1, waiting: 0 },
      });
      expect(body.lastRuns).toEqual([expect.objectContaining({ kind: 'DPD', businessDate: '2026-01-02', status: 'FAILED', error: 'boom' })]);
      expect((await flagged.request('GET', '/v1/admin/status', { role: 'finance' })).status).toBe(403);
    } finally {
      await queues.get('escalation').remove('status-probe');
      await flagged.close();
    }
  });

  it('holds 100 payments through worker restarts and an emptied Redis, then posts each once on resume', async () => {
    const loanIds = await Promise.all(Array.from({ length: 5 }, () => insertLoan(database)));
    const start = () =>
      startTestWorker(database, own.url, 'loanops', {
        queues: ['payments', 'edits'],
        sweep: { olderThanMs: 300, intervalMs: 200 },
        queueControlSyncMs: 200,
      });
    let worker = start();
    try {
      await worker.ready;
      const paused = await api.request('POST', '/v1/admin/queues/payments/pause', { body: { reason: 'bank file mismatch' } });
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ queue: 'payments', paused: true, reason: 'bank file mismatch', changedBy: 'user:user-admin (admin)' });
      expect(await pausedInRedis()).toBe(true);
      expect(await control('payments')).toMatchObject({ paused: true, reason: 'bank file mismatch' });

      const intakes: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        const response = await api.request('POST', '/v1/payments', {
          role: 'finance',
          body: { utr: nextUtr(), loanId: loanIds[i % loanIds.length], amountPaise: 1_000 + i, valueDate: today, mode: 'UPI' },
        });
        expect(response.status).toBe(202);
        intakes.push((response.body as { intakeId: string }).intakeId);
      }
      // The worker is up and taking edits jobs, yet takes no payment.
      await editApplied(loanIds[0] as number, 'while paused');
      expect(await queues.get('payments').getWaitingCount()).toBe(100);
      expect(await intakeCounts(intakes)).toEqual({ RECEIVED: 100 });

      // A restarted worker still finds the queue paused.
      await worker.closeAll();
      worker = start();
      await worker.ready;
      await editApplied(loanIds[1] as number, 'after a restart');
      expect(await intakeCounts(intakes)).toEqual({ RECEIVED: 100 });

      // Redis comes back empty while no worker runs: the next one pauses the queue again from
      // Postgres before it takes anything, and its sweeper puts the 100 jobs back.
      await worker.closeAll();
      await own.flushAll();
      expect(await pausedInRedis()).toBe(false);
      worker = start();
      await worker.ready;
      expect(await pausedInRedis()).toBe(true);
      await waitFor(async () => (await queues.get('payments').getWaitingCount()) === 100, { what: 'the sweeper to re-enqueue 100' });
      await editApplied(loanIds[2] as number, 'after Redis came back empty');
      expect(await intakeCounts(intakes)).toEqual({ RECEIVED: 100 });

      // Redis emptied under a running worker: the pause is back within an interval.
      await own.flushAll();
      await waitFor(pausedInRedis, { what: 'the pause to be re-applied to a running worker' });
      await editApplied(loanIds[3] as number, 'after Redis emptied under the worker');
      expect(await intakeCounts(intakes)).toEqual({ RECEIVED: 100 });

      const resumed = await api.request('POST', '/v1/admin/queues/payments/resume', { body: {} });
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ queue: 'payments', paused: false });
      await waitFor(async () => (await intakeCounts(intakes)).POSTED === 100, { what: 'all 100 posted', timeoutMs: 60_000 });
      const once = await sql<{ payments: number; distinct_intakes: number }>`
        SELECT count(*)::int AS payments, count(DISTINCT intake_id)::int AS distinct_intakes
        FROM payments WHERE intake_id = ANY(${intakes}::uuid[])`.execute(database.db);
      expect(once.rows[0]).toEqual({ payments: 100, distinct_intakes: 100 });
      expect(await pausedInRedis()).toBe(false);
      expect(await control('payments')).toMatchObject({ paused: false });

      const audit = await database.db
        .selectFrom('audit_log')
        .select(['action', 'actor_id', 'actor_role', 'entity_type', 'entity_id', 'before', 'after', 'metadata'])
        .where('entity_type', '=', 'queue')
        .orderBy('id')
        .execute();
      expect(audit).toEqual([
        expect.objectContaining({ action: 'QUEUE_PAUSED', actor_id: 'user-admin', actor_role: 'admin', entity_id: 'payments', before: { paused: false }, after: { paused: true, reason: 'bank file mismatch' }, metadata: { via: 'api' } }),
        expect.objectContaining({ action: 'QUEUE_RESUMED', entity_id: 'payments', after: { paused: false, reason: null } }),
      ]);
    } finally {
      await worker.closeAll();
    }
  });

  it('is re-applied by the API at start from Postgres', async () => {
    await api.request('POST', '/v1/admin/queues/dpd/pause', { body: { reason: 'month end' } });
    await own.flushAll();
    expect(await queues.get('dpd').isPaused()).toBe(false);
    const sync = startQueueControlSync({ db: database.db, queues, intervalMs: 0, logger: pino({ level: 'silent' }) });
    await sync.ready;
    await sync.stop();
    expect(await queues.get('dpd').isPaused()).toBe(true);
    expect(await queues.get('payments').isPaused()).toBe(false);
    await api.request('POST', '/v1/admin/queues/dpd/resume', { body: {} });
    expect(await queues.get('dpd').isPaused()).toBe(false);
  });

  it('holds in the real worker process started on an emptied Redis, until resumed', async () => {
    const loanIds = await Promise.all(Array.from({ length: 2 }, () => insertLoan(database)));
    expect((await api.request('POST', '/v1/admin/queues/payments/pause', { body: { reason: 'process check' } })).status).toBe(200);
    const intakes: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await api.request('POST', '/v1/payments', {
        role: 'finance',
        body: { utr: nextUtr(), loanId: loanIds[i % 2], amountPaise: 2_000 + i, valueDate: today, mode: 'NEFT' },
      });
      intakes.push((response.body as { intakeId: string }).intakeId);
    }
    await own.flushAll();
    const child = spawnWorkerProcess(
      {
        DATABASE_URL: database.url,
        REDIS_URL: own.url,
        QUEUE_PREFIX: 'loanops',
        PAYMENT_SWEEP_AFTER_MS: '1000',
        PAYMENT_SWEEP_INTERVAL_MS: '500',
        QUEUE_CONTROL_SYNC_MS: '300',
      },
      ['--queues', 'payments,edits'],
    );
    try {
      await waitFor(() => queues.get('payments').isPaused(), { what: 'the worker process to pause payments again', timeoutMs: 30_000 });
      await waitFor(async () => (await queues.get('payments').getWaitingCount()) === 20, { what: 'its sweeper to re-enqueue 20' });
      await editApplied(loanIds[0] as number, 'worker process up');
      expect(await intakeCounts(intakes)).toEqual({ RECEIVED: 20 });
      expect((await api.request('POST', '/v1/admin/queues/payments/resume', { body: {} })).status).toBe(200);
      await waitFor(async () => (await intakeCounts(intakes)).POSTED === 20, { what: 'all 20 posted by the process', timeoutMs: 60_000 });
      const once = await sql<{ payments: number; distinct_intakes: number }>`
        SELECT count(*)::int AS payments, count(DISTINCT intake_id)::int AS distinct_intakes
        FROM payments WHERE intake_id = ANY(${intakes}::uuid[])`.execute(database.db);
      expect(once.rows[0]).toEqual({ payments: 20, distinct_intakes: 20 });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('with Redis down shows the Postgres side, and refuses a switch with 503 changing nothing', async () => {
    const lean = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const leanQueues = createQueues(lean, 'loanops');
    const downApi = await startTestApi(database, leanQueues);
    expect((await api.request('POST', '/v1/admin/queues/edits/pause', { body: { reason: 'before the outage' } })).status).toBe(200);
    await own.stop();
    try {
      const status = await downApi.request('GET', '/v1/admin/status');
      expect(status.status).toBe(200);
      const body = status.body as { redis: string; queues: { name: string }[] };
      expect(body.redis).toBe('unavailable');
      expect(body.queues.find((queue) => queue.name === 'edits')).toMatchObject({
        pausedInRedis: null,
        pausedInPostgres: true,
        reason: 'before the outage',
        counts: null,
      });
      const refused = await downApi.request('POST', '/v1/admin/queues/edits/resume', { body: {} });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
      expect(await control('edits')).toMatchObject({ paused: true, reason: 'before the outage' });
      const resumes = await database.db.selectFrom('audit_log').select('id').where('action', '=', 'QUEUE_RESUMED').where('entity_id', '=', 'edits').execute();
      expect(resumes).toEqual([]);
    } finally {
      await own.start();
      await downApi.close();
      await leanQueues.close();
      lean.disconnect();
    }
  });
});
