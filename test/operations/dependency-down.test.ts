import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '@loanops/auth';
import { createDb, migrateToLatest, type Db } from '@loanops/db';
import { businessToday } from '@loanops/domain';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { TEST_JWT_SECRET } from '../support/api.js';
import type { TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { spawnApiProcess, spawnWorker, type AppProcess } from '../support/processes.js';
import { withDatabase } from '../support/services.js';
import { waitFor } from '../support/wait.js';

/**
 * Postgres and Redis going away under running processes (servers of the test's own, started and
 * stopped here): the API answers 503 at once instead of hanging or failing with 500, alerts once on
 * the loss and once on the return, and recovers by itself; the worker reconnects and carries on.
 */
let postgres: OwnPostgres;
let redis: OwnRedis;
let receiver: AlertReceiver;
let handle: Db;
const processes: AppProcess[] = [];

beforeAll(async () => {
  [postgres, redis, receiver] = await Promise.all([startOwnPostgres(), startOwnRedis(), startAlertReceiver()]);
  const admin = createDb({ databaseUrl: postgres.url, poolMax: 1 });
  await sql`CREATE DATABASE loanops`.execute(admin.db);
  await admin.close();
  handle = createDb({ databaseUrl: withDatabase(postgres.url, 'loanops'), poolMax: 2 });
  await migrateToLatest(handle.db);
});
afterAll(async () => {
  for (const process of processes) await process.kill();
  await handle?.close();
  await receiver?.close();
  await redis?.stop();
  await postgres?.destroy();
});

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await work();
  return { ms: Date.now() - started, value };
}

describe('a dependency down at run time', () => {
  it('answers 503 quickly while Postgres or Redis is gone, alerts, and recovers by itself', async () => {
    const env = {
      DATABASE_URL: withDatabase(postgres.url, 'loanops'),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'loanops',
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_THROTTLE_MS: '0',
      DB_PROBE_INTERVAL_MS: '200',
      PAYMENT_SWEEP_AFTER_MS: '1000',
      PAYMENT_SWEEP_INTERVAL_MS: '500',
      AUDIT_SEAL_INTERVAL_MS: '500',
    };
    const api = await spawnApiProcess(env);
    processes.push(api);
    const worker = spawnWorker(env);
    processes.push(worker);
    const loanId = await insertLoan({ db: handle.db } as TestDatabase);
    const headers = {
      authorization: `Bearer ${await signAccessToken({ sub: 'finance-1', role: 'finance' }, TEST_JWT_SECRET, 600)}`,
      'content-type': 'application/json',
    };
    let utr = 0;
    const pay = () =>
      fetch(`${api.url}/v1/payments`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ utr: `DWN${String((utr += 1)).padStart(12, '0')}`, loanId, amountPaise: 1_500, valueDate: businessToday(), mode: 'UPI' }),
      });
    const status = async (intakeId: string) => {
      const row = await handle.db.selectFrom('payment_intake').select('status').where('id', '=', intakeId).executeTakeFirst();
      return row?.status;
    };
    const first = await pay();
    expect(first.status).toBe(202);
    const { intakeId: firstIntake } = (await first.json()) as { intakeId: string };
    await waitFor(async () => (await status(firstIntake)) === 'POSTED', { what: 'the first payment posted' });

    // Postgres goes away.
    await handle.close();
    await postgres.stop();
    for (const path of [`/v1/loans/${loanId}`, '/v1/payments?loanId=1']) {
      const { ms, value } = await timed(() => fetch(`${api.url}${path}`, { headers }));
      expect(value.status, path).toBe(503);
      expect(ms, path).toBeLessThan(2_500);
      expect(((await value.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    }
    const refused = await timed(pay);
    expect(refused.value.status).toBe(503);
    expect(refused.ms).toBeLessThan(2_500);
    const notReady = await timed(() => fetch(`${api.url}/readyz`));
    expect(notReady.value.status).toBe(503);
    expect(notReady.ms).toBeLessThan(2_500);
    expect(((await notReady.value.json()) as { error: { message: string } }).error.message).toMatch(/^postgres did not answer/);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    // One alert from each process (API and worker).
    await waitFor(() => receiver.ofKind('database-connection-lost').length >= 2, { what: 'the connection-lost alerts', timeoutMs: 10_000 }).catch(
      (error: unknown) => {
        throw new Error(
          `${(error as Error).message}; alerts: ${JSON.stringify(receiver.received.map((alert) => alert.text))}; ` +
            `worker exit ${worker.child.exitCode ?? worker.child.signalCode}, stderr: ${worker.stderr().slice(-2_000)}; api stderr: ${api.stderr().slice(-2_000)}`,
        );
      },
    );
    expect(receiver.ofKind('database-connection-lost')[0]?.text).toContain('postgres connection lost');

    // Postgres is back: the API serves again without a restart, and the worker posts.
    await postgres.start();
    handle = createDb({ databaseUrl: withDatabase(postgres.url, 'loanops'), poolMax: 2 });
    await waitFor(async () => (await fetch(`${api.url}/readyz`)).status === 200, { what: '/readyz 200 after Postgres returned', timeoutMs: 15_000 });
    expect((await fetch(`${api.url}/v1/loans/${loanId}`, { headers: { authorization: headers.authorization } })).status).toBe(200);
    const afterPostgres = await pay();
    expect(afterPostgres.status).toBe(202);
    const { intakeId: secondIntake } = (await afterPostgres.json()) as { intakeId: string };
    await waitFor(async () => (await status(secondIntake)) === 'POSTED', { what: 'a payment posted after Postgres returned', timeoutMs: 30_000 });
    await waitFor(() => receiver.ofKind('database-connection-restored').length >= 2, { what: 'the restored alerts', timeoutMs: 10_000 });
    expect(receiver.ofKind('database-connection-lost')).toHaveLength(2);
    expect(receiver.ofKind('database-connection-restored')).toHaveLength(2);

    // Redis goes away (and comes back empty).
    await redis.stop();
    const redisDown = await timed(() => fetch(`${api.url}/readyz`));
    expect(redisDown.value.status).toBe(503);
    expect(redisDown.ms).toBeLessThan(2_500);
    expect(((await redisDown.value.json()) as { error: { message: string } }).error.message).toMatch(/^redis did not answer/);
    const signIn = await timed(() =>
      fetch(`${api.url}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@b.in', password: 'x' }) }),
    );
    // Sign-in counts failures in the process while Redis is away: it still answers, never with a 500.
    expect([401, 503]).toContain(signIn.value.status);
    expect(signIn.ms).toBeLessThan(2_500);
    // A payment is still taken: it is in Postgres, and the sweeper enqueues it once Redis is back.
    const duringRedis = await timed(pay);
    expect(duringRedis.value.status).toBe(202);
    expect(duringRedis.ms).toBeLessThan(2_500);
    const { intakeId: thirdIntake } = (await duringRedis.value.json()) as { intakeId: string };
    expect(await status(thirdIntake)).toBe('RECEIVED');

    await redis.start();
    await waitFor(async () => (await fetch(`${api.url}/readyz`)).status === 200, { what: '/readyz 200 after Redis returned', timeoutMs: 15_000 });
    await waitFor(async () => (await status(thirdIntake)) === 'POSTED', { what: 'the worker to reconnect and post', timeoutMs: 30_000 });

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited, api.stderr()).toBe(0);
    expect(await worker.exited, worker.stderr()).toBe(0);
  });
});
