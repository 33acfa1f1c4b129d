import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpdRunView } from '@loanops/dpd';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues, waitForRunEnd } from './helpers.js';

/**
 * POST and GET /v1/admin/dpd-runs. The API's clock is 00:10 IST on 2 July 2026, which UTC and
 * Los Angeles still call 1 July: "today" and "tomorrow" must be India's.
 */
const NOW = new Date('2026-07-01T18:40:00Z');
const TODAY = '2026-07-02';
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let worker: ReturnType<typeof startTestWorker>;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => NOW });
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'] });
  for (let i = 0; i < 3; i += 1) await loanWithDues(database, ['2026-06-05', '2026-07-05'], '2026-06-01');
});
afterAll(async () => {
  await worker.closeAll();
  await api.close();
  await redis.cleanup();
  await database.drop();
});

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

describe('POST /v1/admin/dpd-runs', () => {
  let first: DpdRunView;

  it('starts the run of today (IST) by default: 202 with the run and where to follow it, audited', async () => {
    const response = await api.request('POST', '/v1/admin/dpd-runs', { body: {}, headers: { 'x-request-id': 'req-dpd-1' } });
    expect(response.status).toBe(202);
    first = response.body as DpdRunView;
    expect(first).toMatchObject({ businessDate: TODAY, trigger: 'MANUAL', triggeredBy: 'user:user-admin', status: 'RUNNING', chunksTotal: 2 });
    expect(response.headers.get('location')).toBe(`/v1/admin/dpd-runs/${first.id}`);
    expect(await waitForRunEnd(database, first.id)).toMatchObject({ status: 'SUCCEEDED', loansScanned: 3, dpdChanged: 3 });
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'DPD_RUN_STARTED').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: 'user', actor_id: 'user-admin', entity_type: 'job_run', entity_id: String(first.id) });
    expect(audit.after).toMatchObject({ businessDate: TODAY, trigger: 'MANUAL' });
  });

  it('answers 409 DPD_RUN_EXISTS with the run when the date already ran, and starts nothing', async () => {
    const response = await api.request('POST', '/v1/admin/dpd-runs', { body: { businessDate: TODAY } });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: { code: 'DPD_RUN_EXISTS', details: { run: { id: first.id, status: 'SUCCEEDED' } } } });
    const runs = await database.db.selectFrom('job_runs').select('id').execute();
    expect(runs).toHaveLength(1);
  });

  it('answers 409 DPD_RUN_SUPERSEDED for a date before one that ran', async () => {
    const response = await api.request('POST', '/v1/admin/dpd-runs', { body: { businessDate: '2026-07-01' } });
    expect(response.status).toBe(409);
    expect(errorCode(response.body)).toBe('DPD_RUN_SUPERSEDED');
  });

  it('refuses tomorrow in India (422), and malformed bodies (400)', async () => {
    const tomorrow = await api.request('POST', '/v1/admin/dpd-runs', { body: { businessDate: '2026-07-03' } });
    expect(tomorrow.status).toBe(422);
    expect(tomorrow.body).toMatchObject({ error: { code: 'FUTURE_BUSINESS_DATE', details: [{ path: 'businessDate' }] } });
    for (const body of [{ businessDate: '2026-02-30' }, { businessDate: '02/07/2026' }, { date: TODAY }]) {
      const response = await api.request('POST', '/v1/admin/dpd-runs', { body });
      expect(response.status).toBe(400);
      expect(errorCode(response.body)).toBe('VALIDATION_ERROR');
    }
  });

  it('is for admins only', async () => {
    for (const role of ['ops', 'finance', 'collector', 'legal'] as const) {
      expect((await api.request('POST', '/v1/admin/dpd-runs', { role, body: {} })).status).toBe(403);
      expect((await api.request('GET', '/v1/admin/dpd-runs', { role })).status).toBe(403);
    }
    expect((await api.request('POST', '/v1/admin/dpd-runs', { role: null, body: {} })).status).toBe(401);
  });
});

describe('GET /v1/admin/dpd-runs', () => {
  it('lists the run history newest first with date, trigger, times, counts, status and error', async () => {
    await database.db
      .insertInto('job_runs')
      .values({ kind: 'DPD', business_date: '2026-06-30', trigger: 'SCHEDULE', triggered_by: 'scheduler', status: 'FAILED', finished_at: new Date(), error: '1 of 2 chunks did not finish' })
      .execute();
    const response = await api.request('GET', '/v1/admin/dpd-runs');
    expect(response.status).toBe(200);
    const { items, nextCursor } = response.body as { items: DpdRunView[]; nextCursor: string | null };
    expect(nextCursor).toBeNull();
    expect(items.map((run) => [run.businessDate, run.status])).toEqual([
      ['2026-06-30', 'FAILED'],
      [TODAY, 'SUCCEEDED'],
    ]);
    expect(items[0]).toMatchObject({ trigger: 'SCHEDULE', triggeredBy: 'scheduler', error: '1 of 2 chunks did not finish' });
    expect(Object.keys(items[1] as object).sort()).toEqual(
      [
        'id', 'businessDate', 'trigger', 'triggeredBy', 'status', 'startedAt', 'finishedAt', 'chunksTotal', 'chunksDone',
        'loansScanned', 'dpdChanged', 'bucketChanges', 'escalations', 'error',
      ].sort(),
    );
    expect(items[1]).toMatchObject({ loansScanned: 3, dpdChanged: 3, chunksDone: 2, escalations: 0, error: null });
    expect(Date.parse(items[1]?.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(items[1]?.startedAt as string));

    const page = await api.request('GET', '/v1/admin/dpd-runs?limit=1');
    const body = page.body as { items: DpdRunView[]; nextCursor: string };
    expect(body.items.map((run) => run.businessDate)).toEqual(['2026-06-30']);
    const next = await api.request('GET', `/v1/admin/dpd-runs?limit=1&cursor=${body.nextCursor}`);
    expect((next.body as { items: DpdRunView[] }).items.map((run) => run.businessDate)).toEqual([TODAY]);
    const failed = await api.request('GET', '/v1/admin/dpd-runs?status=FAILED');
    expect((failed.body as { items: DpdRunView[] }).items).toHaveLength(1);
  });

  it('shows one run, and 404 for a run that does not exist', async () => {
    const list = (await api.request('GET', '/v1/admin/dpd-runs?status=SUCCEEDED')).body as { items: DpdRunView[] };
    const one = await api.request('GET', `/v1/admin/dpd-runs/${list.items[0]?.id}`);
    expect(one.body).toEqual(list.items[0]);
    expect((await api.request('GET', '/v1/admin/dpd-runs/999999')).status).toBe(404);
    expect((await api.request('GET', '/v1/admin/dpd-runs?status=DONE')).status).toBe(400);
  });
});
