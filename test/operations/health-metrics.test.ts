import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessToday } from '@loanops/domain';
import { createMetrics } from '@loanops/observability';
import { createQueues } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { startTestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { startOwnRedis } from '../support/own-redis.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

let database: TestDatabase;
let redis: TestRedis;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
});
afterAll(async () => {
  await redis.cleanup();
  await database.drop();
});

/** The value of one series in Prometheus text output, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inner.split(',');
    if (wanted.every((label) => parts.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/healthz and /readyz', () => {
  it('answers ready when Postgres and Redis answer', async () => {
    const api = await startTestApi(database, redis.queues);
    try {
      expect((await api.request('GET', '/healthz', { role: null })).status).toBe(200);
      const ready = await api.request('GET', '/readyz', { role: null });
      expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });
    } finally {
      await api.close();
    }
  });

  it('answers 503 naming Redis when Redis is gone, and ready again when it is back', async () => {
    const own = await startOwnRedis();
    const connection = createRedis(own.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const queues = createQueues(connection, 'loanops');
    const api = await startTestApi(database, queues);
    try {
      await own.stop();
      const started = Date.now();
      const down = await api.request('GET', '/readyz', { role: null });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ error: { code: 'NOT_READY', details: { postgres: 'ok' } } });
      expect((down.body as { error: { message: string } }).error.message).toMatch(/^redis did not answer/);
      expect((down.body as { error: { details: { redis: string } } }).error.details.redis).not.toBe('ok');

      await own.start();
      const back = await waitFor(
        async () => {
          const response = await api.request('GET', '/readyz', { role: null });
          return response.status === 200 && response;
        },
        { what: '/readyz to answer 200 again', timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(back.body).toMatchObject({ status: 'ready' });
    } finally {
      await api.close();
      await queues.close();
      connection.disconnect();
      await own.stop();
    }
  });

  it('answers 503 SHUTTING_DOWN once a shutdown began, so balancers stop sending', async () => {
    let shuttingDown = false;
    const api = await startTestApi(database, redis.queues, { shuttingDown: () => shuttingDown });
    try {
      expect((await api.request('GET', '/readyz', { role: null })).status).toBe(200);
      shuttingDown = true;
      const draining = await api.request('GET', '/readyz', { role: null });
      expect(draining).toMatchObject({ status: 503, body: { error: { code: 'SHUTTING_DOWN' } } });
      expect((await api.request('GET', '/healthz', { role: null })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('answers 503 naming Postgres when it does not answer within the timeout', async () => {
    // A pool pointed at a port nothing listens on stands for a Postgres that went away.
    const { createDb } = await import('@loanops/db');
    const gone = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1 });
    const api = await startTestApi({ ...database, ...gone }, redis.queues);
    try {
      const down = await api.request('GET', '/readyz', { role: null });
      expect(down.status).toBe(503);
      expect((down.body as { error: { message: string } }).error.message).toMatch(/^postgres did not answer/);
      expect(down.body).toMatchObject({ error: { details: { redis: 'ok' } } });
    } finally {
      await api.close();
      await gone.close();
    }
  });
});

describe('/metrics', () => {
  it('needs the token when one is set, and reports HTTP, intake, queue depth and guard series', async () => {
    const metrics = createMetrics();
    const api = await startTestApi(database, redis.queues, { metrics, metricsToken: METRICS_TOKEN });
    try {
      expect((await api.request('GET', '/metrics', { role: null })).status).toBe(401);
      expect((await api.request('GET', '/metrics', { role: null, headers: { authorization: 'Bearer wrong-token-0123456789abc' } })).status).toBe(401);

      const loanId = await insertLoan(database);
      expect((await api.request('GET', `/v1/loans/${loanId}`)).status).toBe(200);
      const posted = await api.request('POST', '/v1/payments', {
        role: 'finance',
        body: { utr: 'MET000000000001', loanId, amountPaise: 5_000, valueDate: businessToday(), mode: 'UPI' },
      });
      expect(posted.status).toBe(202);
      const duplicate = await api.request('POST', '/v1/payments', {
        role: 'finance',
        body: { utr: 'MET000000000001', loanId, amountPaise: 5_000, valueDate: businessToday(), mode: 'UPI' },
      });
      expect(duplicate.status).toBe(409);
      expect((await api.request('PATCH', `/v1/loans/${loanId}`, { role: 'ops', body: { dpd: 0 } })).status).toBe(403);
      expect((await api.request('GET', '/v1/audit', { role: null })).status).toBe(401);

      const scraped = await api.request('GET', '/metrics', { role: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = scraped.body as string;
      expect(sample(text, 'loanops_http_request_duration_seconds_count', { method: 'GET', route: '/v1/loans/:id', status: '200' })).toBe(1);
      expect(sample(text, 'loanops_http_request_duration_seconds_count', { method: 'POST', route: '/v1/payments', status: '202' })).toBe(1);
      expect(sample(text, 'loanops_payment_intake_total', { outcome: 'accepted' })).toBe(1);
      expect(sample(text, 'loanops_payment_intake_total', { outcome: 'refused', code: 'DUPLICATE_UTR' })).toBe(1);
      expect(sample(text, 'loanops_queue_jobs', { queue: 'payments', state: 'waiting' })).toBe(1);
      expect(sample(text, 'loanops_queue_jobs', { queue: 'dpd', state: 'active' })).toBe(0);
      expect(sample(text, 'loanops_financial_guard_triggers_total', { route: 'PATCH /v1/loans/:id' })).toBe(1);
      expect(sample(text, 'loanops_auth_failures_total', { reason: 'unauthenticated' })).toBeGreaterThanOrEqual(3);
      expect(sample(text, 'loanops_dpd_runs', { status: 'SUCCEEDED' })).toBeUndefined();

      await database.db
        .insertInto('job_runs')
        .values({
          kind: 'DPD',
          business_date: '2026-01-05',
          trigger: 'MANUAL',
          status: 'SUCCEEDED',
          started_at: new Date('2026-01-05T00:05:00+05:30'),
          finished_at: new Date('2026-01-05T00:06:30+05:30'),
          loans_scanned: 1200,
          dpd_changed: 40,
        })
        .execute();
      const after = (await api.request('GET', '/metrics', { role: null, headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body as string;
      expect(sample(after, 'loanops_dpd_runs', { status: 'SUCCEEDED' })).toBe(1);
      expect(sample(after, 'loanops_dpd_last_run_duration_seconds', { status: 'SUCCEEDED' })).toBe(90);
      expect(sample(after, 'loanops_dpd_last_run_count', { count: 'loans_scanned' })).toBe(1200);
      expect(sample(after, 'loanops_dpd_last_run_count', { count: 'dpd_changed' })).toBe(40);
    } finally {
      await api.close();
    }
  });
});
