import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessToday } from '@loanops/domain';
import { acceptPayment } from '@loanops/payments';
import { createQueues, paymentJobId } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { createTestRedis } from '../support/redis.js';
import { startTestApi } from '../support/api.js';
import { insertLoan } from '../support/fixtures.js';
import { spawnWorkerProcess, startTestWorker } from '../support/worker.js';
import { waitFor } from '../support/wait.js';

/**
 * Nothing accepted is lost and nothing is posted twice: not when a worker is killed in the middle
 * of a batch, not when Redis comes back empty, not when the enqueue after the insert fails.
 */
let database: TestDatabase;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `RCV${String((utrSeq += 1)).padStart(12, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function acceptMany(loanIds: number[], count: number): Promise<string[]> {
  const intakes: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const { intakeId } = await acceptPayment(
      database.db,
      { utr: nextUtr(), loanId: loanIds[i % loanIds.length] as number, amountPaise: 1_000 + (i % 7), valueDate: today, mode: 'UPI' },
      { receivedBy: 'finance:test', requestId: null, now: new Date() },
    );
    intakes.push(intakeId);
  }
  return intakes;
}

async function statusCounts(intakes: string[]) {
  const rows = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM payment_intake WHERE id = ANY(${intakes}::uuid[]) GROUP BY status`.execute(database.db);
  return Object.fromEntries(rows.rows.map((row) => [row.status, row.n])) as Record<string, number>;
}

/** Every intake POSTED with exactly one payment, and every touched loan's books adding up. */
async function expectPostedExactlyOnce(intakes: string[], loanIds: number[]) {
  const check = await sql<{ intakes: number; posted: number; payments: number; distinct_intakes: number }>`
    SELECT (SELECT count(*)::int FROM payment_intake WHERE id = ANY(${intakes}::uuid[])) AS intakes,
           (SELECT count(*)::int FROM payment_intake WHERE id = ANY(${intakes}::uuid[]) AND status = 'POSTED') AS posted,
           (SELECT count(*)::int FROM payments WHERE intake_id = ANY(${intakes}::uuid[])) AS payments,
           (SELECT count(DISTINCT intake_id)::int FROM payments WHERE intake_id = ANY(${intakes}::uuid[])) AS distinct_intakes`.execute(
    database.db,
  );
  expect(check.rows[0]).toEqual({ intakes: intakes.length, posted: intakes.length, payments: intakes.length, distinct_intakes: intakes.length });
  const books = await sql<{ id: number; total: number; unpaid: number; allocated: number; paid: number }>`
    SELECT l.id, l.total_outstanding_paise AS total,
           (SELECT sum(outstanding_paise) FROM installments WHERE loan_id = l.id)::bigint AS unpaid,
           (SELECT coalesce(sum(a.amount_paise), 0) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE p.loan_id = l.id)::bigint AS allocated,
           (SELECT coalesce(sum(amount_paise), 0) FROM payments WHERE loan_id = l.id)::bigint AS paid
    FROM loans l WHERE l.id = ANY(${loanIds}::bigint[])`.execute(database.db);
  for (const row of books.rows) {
    expect(row.total).toBe(row.unpaid);
    expect(row.allocated).toBe(row.paid);
  }
}

describe('payment recovery', () => {
  it('posts every accepted payment exactly once after a worker is SIGKILLed mid-batch', async () => {
    const redis = await createTestRedis();
    const loanIds = await Promise.all(Array.from({ length: 10 }, () => insertLoan(database)));
    const intakes = await acceptMany(loanIds, 300);
    for (const intakeId of intakes) {
      await redis.queues.add('payments', 'post-payment', { intakeId }, { jobId: paymentJobId(intakeId) });
    }
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      WORKER_CONCURRENCY: '8',
      WORKER_LOCK_DURATION_MS: '3000',
      PAYMENT_SWEEP_AFTER_MS: '2000',
      PAYMENT_SWEEP_INTERVAL_MS: '1000',
    };
    const first = spawnWorkerProcess(env);
    try {
      await waitFor(async () => ((await statusCounts(intakes)).POSTED ?? 0) >= 40, { what: '40 payments posted', timeoutMs: 60_000 });
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const atKill = (await statusCounts(intakes)).POSTED ?? 0;
      expect(atKill).toBeLessThan(intakes.length);

      const second = spawnWorkerProcess(env);
      try {
        await waitFor(async () => (await statusCounts(intakes)).POSTED === intakes.length, {
          what: 'every payment posted after the restart',
          timeoutMs: 90_000,
          intervalMs: 250,
        });
      } finally {
        second.kill('SIGTERM');
        await new Promise((resolve) => second.once('exit', resolve));
      }
      await expectPostedExactlyOnce(intakes, loanIds);
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      await redis.cleanup();
    }
  });

  it('posts every accepted payment exactly once when Redis comes back empty', async () => {
    const own: OwnRedis = await startOwnRedis();
    const connection = createRedis(own.url);
    const queues = createQueues(connection, 'loanops');
    try {
      const loanIds = await Promise.all(Array.from({ length: 5 }, () => insertLoan(database)));
      const intakes = await acceptMany(loanIds, 60);
      for (const intakeId of intakes) {
        await queues.add('payments', 'post-payment', { intakeId }, { jobId: paymentJobId(intakeId) });
      }
      expect(await queues.get('payments').getWaitingCount()).toBe(60);
      await own.flushAll();
      expect(await queues.get('payments').getWaitingCount()).toBe(0);

      const worker = startTestWorker(database, own.url, 'loanops', { sweep: { olderThanMs: 200, intervalMs: 200 } });
      try {
        await waitFor(async () => (await statusCounts(intakes)).POSTED === intakes.length, {
          what: 'the sweeper to re-enqueue and the worker to post everything',
          timeoutMs: 60_000,
        });
      } finally {
        await worker.closeAll();
      }
      await expectPostedExactlyOnce(intakes, loanIds);
    } finally {
      await queues.close();
      await connection.quit();
      await own.stop();
    }
  });

  it('answers 202 when Redis is down at intake, and posts once Redis is back', async () => {
    const own = await startOwnRedis();
    const connection = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const queues = createQueues(connection, 'loanops');
    const api = await startTestApi(database, queues, { enqueueTimeoutMs: 500 });
    try {
      const loanId = await insertLoan(database);
      await own.stop();
      const response = await api.request('POST', '/v1/payments', {
        role: 'finance',
        body: { utr: nextUtr(), loanId, amountPaise: 2_500, valueDate: today, mode: 'IMPS' },
      });
      expect(response.status).toBe(202);
      const { intakeId } = response.body as { intakeId: string };
      expect(await statusCounts([intakeId])).toEqual({ RECEIVED: 1 });

      await own.start();
      const worker = startTestWorker(database, own.url, 'loanops', { sweep: { olderThanMs: 200, intervalMs: 200 } });
      try {
        await waitFor(async () => (await statusCounts([intakeId])).POSTED === 1, { what: 'the payment to post', timeoutMs: 30_000 });
      } finally {
        await worker.closeAll();
      }
      await expectPostedExactlyOnce([intakeId], [loanId]);
    } finally {
      await api.close();
      await queues.close();
      connection.disconnect();
      await own.stop();
    }
  });
});
