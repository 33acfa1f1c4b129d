import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '@loanops/auth';
import { businessToday } from '@loanops/domain';
import { TEST_JWT_SECRET } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { freePort } from '../support/own-redis.js';
import { spawnApiProcess, spawnWorker, type AppProcess } from '../support/processes.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * SIGTERM with work in flight, on the real entry points: a payments worker stops taking jobs and
 * finishes the ones it holds, another takes over, and the API answers what it accepted before
 * it exits. Nothing accepted is lost, nothing is posted twice, and every process exits 0.
 */
let database: TestDatabase;
let redis: TestRedis;
const METRICS_TOKEN = 'worker-metrics-token-0123456789';
const processes: AppProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
});
afterAll(async () => {
  for (const process of processes) await process.kill();
  await redis.cleanup();
  await database.drop();
});

async function intakeStatus(utrPrefix: string) {
  const rows = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM payment_intake WHERE utr LIKE ${`${utrPrefix}%`} GROUP BY status`.execute(database.db);
  return Object.fromEntries(rows.rows.map((row) => [row.status, row.n])) as Record<string, number>;
}

type Sent = { status: number; intakeId?: string } | { failed: string };

async function postPayment(url: string, token: string, body: unknown): Promise<Sent> {
  try {
    const response = await fetch(`${url}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as { intakeId?: string };
    return { status: response.status, ...(parsed.intakeId ? { intakeId: parsed.intakeId } : {}) };
  } catch (error) {
    return { failed: String((error as Error).cause ?? error) };
  }
}

describe('graceful shutdown', () => {
  it('SIGTERM a payments worker while 500 payments flow: every accepted payment is posted exactly once', async () => {
    const loanIds = await Promise.all(Array.from({ length: 50 }, () => insertLoan(database)));
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      METRICS_TOKEN,
      SHUTDOWN_TIMEOUT_MS: '20000',
      PAYMENTS_CONCURRENCY: '16',
      PAYMENT_SWEEP_AFTER_MS: '60000',
    };
    const api = await spawnApiProcess(env);
    processes.push(api);
    const metricsPort = await freePort();
    const first = spawnWorker({ ...env, WORKER_METRICS_PORT: String(metricsPort) });
    processes.push(first);
    const token = await signAccessToken({ sub: 'finance-1', role: 'finance' }, TEST_JWT_SECRET, 600);
    const today = businessToday();

    // 500 payments, 10 at a time, while the worker posts them.
    const results: Sent[] = [];
    let next = 0;
    const flowing = Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 500) {
          const i = next++;
          const body = { utr: `SDN${String(i).padStart(12, '0')}`, loanId: loanIds[i % loanIds.length], amountPaise: 1_000 + (i % 9), valueDate: today, mode: 'UPI' };
          results.push(await postPayment(api.url, token, body));
        }
      }),
    );

    await waitFor(async () => ((await intakeStatus('SDN')).POSTED ?? 0) >= 50, { what: '50 payments posted', timeoutMs: 60_000 });
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/loanops_job_duration_seconds_count\{queue="payments",job="post-payment",outcome="completed"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(401);

    first.child.kill('SIGTERM');
    const postedAtSignal = (await intakeStatus('SDN')).POSTED ?? 0;
    expect(postedAtSignal).toBeLessThan(500);
    expect(await first.exited, first.stderr()).toBe(0);

    const second = spawnWorker(env);
    processes.push(second);
    await flowing;
    expect(results).toHaveLength(500);
    expect(results.every((result) => 'status' in result && result.status === 202)).toBe(true);
    const accepted = results.flatMap((result) => ('intakeId' in result && result.intakeId ? [result.intakeId] : []));
    expect(new Set(accepted).size).toBe(500);

    await waitFor(async () => (await intakeStatus('SDN')).POSTED === 500, { what: 'all 500 posted by the second worker', timeoutMs: 90_000, intervalMs: 250 });
    const check = await sql<{ intakes: number; payments: number; distinct_intakes: number }>`
      SELECT (SELECT count(*)::int FROM payment_intake WHERE utr LIKE 'SDN%') AS intakes,
             (SELECT count(*)::int FROM payments WHERE intake_id = ANY(${accepted}::uuid[])) AS payments,
             (SELECT count(DISTINCT intake_id)::int FROM payments WHERE intake_id = ANY(${accepted}::uuid[])) AS distinct_intakes`.execute(database.db);
    expect(check.rows[0]).toEqual({ intakes: 500, payments: 500, distinct_intakes: 500 });

    // The API, SIGTERMed with requests in flight: what it accepted it answers and stores; then it exits 0.
    const late: Promise<Sent>[] = [];
    for (let i = 0; i < 40; i += 1) {
      const body = { utr: `LTE${String(i).padStart(12, '0')}`, loanId: loanIds[i % loanIds.length], amountPaise: 2_000, valueDate: today, mode: 'NEFT' };
      late.push(postPayment(api.url, token, body));
    }
    await waitFor(async () => ((await intakeStatus('LTE')).RECEIVED ?? 0) + ((await intakeStatus('LTE')).POSTED ?? 0) > 0, {
      what: 'the first late request to be stored',
      intervalMs: 5,
    });
    api.child.kill('SIGTERM');
    const answered = await Promise.all(late);
    expect(await api.exited, api.stderr()).toBe(0);
    const lateAccepted = answered.flatMap((result) => ('intakeId' in result && result.intakeId ? [result.intakeId] : []));
    // Each request was either answered 202 or never reached the closed server: none failed half way.
    for (const result of answered) {
      if ('status' in result) expect(result.status).toBe(202);
      else expect(result.failed).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|SocketError/);
    }
    expect(lateAccepted.length).toBeGreaterThan(0);
    const stored = await intakeStatus('LTE');
    expect((stored.RECEIVED ?? 0) + (stored.POSTED ?? 0)).toBe(lateAccepted.length);
    await waitFor(async () => (await intakeStatus('LTE')).POSTED === lateAccepted.length, { what: 'the late payments posted' });

    second.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);
  });
});
