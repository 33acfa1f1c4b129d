import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateLoans, createPromise } from '@loanops/collections';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues } from '../dpd/helpers.js';
import { insertCollector, ist, payOn } from './helpers.js';

/**
 * Collector scores for 31 March 2026 (window 2 – 31 March, standing at the start read on 1 March)
 * against a book whose every figure is worked out by hand below, computed by the scoring worker.
 */
const DAY = '2026-03-31';
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let worker: ReturnType<typeof startTestWorker>;
let a: number;
let b: number;
let idle: number;
let jobSeq = 0;

async function history(loanId: number, date: string, from: string, to: string, dpd: number): Promise<void> {
  // What the daily DPD runs would have written on those days.
  await database.db.insertInto('bucket_history').values({ loan_id: loanId, business_date: date, from_bucket: from, to_bucket: to, dpd, cause: 'DPD_RUN' }).execute();
}

async function promise(loanId: number, amountPaise: number, promisedOn: string): Promise<void> {
  await createPromise(
    database.db,
    { loanId, amountPaise, promisedOn },
    { actor: { type: 'user', id: 'ops-1', role: 'ops' }, requestId: null, today: '2026-03-12', now: ist('2026-03-12', '10:00') },
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => ist('2026-04-01', '12:00') });
  a = await insertCollector(database, 'Asha');
  b = await insertCollector(database, 'Bharat');
  idle = await insertCollector(database, 'Idle');
  // Allocated on 1 March, before the window: the scores count the days each collector held a loan.
  const assign = (loanIds: number[], collectorId: number) =>
    allocateLoans(database.db, collectorId, { loanIds }, { actor: { type: 'user', id: 'ops-1', role: 'ops' }, requestId: null, today: '2026-03-01' });

  // Every installment is ₹1,000 + ₹100 = 110,000 paise.
  // A1: CURRENT on 1 March; pays 55,000 of the 5 March EMI; SMA-0 from 6 March → rolled forward.
  const a1 = await loanWithDues(database, ['2026-03-05', '2026-04-05'], '2026-03-01');
  // A2: SMA-0 on 1 March (10 February unpaid); pays 220,000 on 20 March → CURRENT → cured.
  const a2 = await loanWithDues(database, ['2026-02-10', '2026-03-10', '2026-04-10'], '2026-03-01');
  // A3: SMA-1 on 1 March (20 January unpaid); nothing paid; SMA-2 from 21 March → rolled forward.
  const a3 = await loanWithDues(database, ['2026-01-20', '2026-02-20', '2026-03-20'], '2026-03-01');
  // A4: made on 15 March, nothing due in the window: not in scope.
  const a4 = await loanWithDues(database, ['2026-04-15'], '2026-03-15');
  // B1: CURRENT throughout, pays its 10 March EMI in full.
  const b1 = await loanWithDues(database, ['2026-03-10', '2026-04-10'], '2026-03-01');
  await assign([a1, a2, a3, a4], a);
  await assign([b1], b);

  // A's promises: kept (A2, 200,000 by 20 March), broken (A3, 10,000 by 14 March), and one of
  // 31 March judged on 1 April, after the window.
  await promise(a2, 200_000, '2026-03-20');
  await promise(a3, 10_000, '2026-03-14');
  await promise(a1, 1_000, '2026-03-31');

  await payOn(database, a1, 55_000, '2026-03-05');
  await history(a1, '2026-03-06', 'CURRENT', 'SMA-0', 1);
  await payOn(database, a2, 220_000, '2026-03-20');
  await history(a3, '2026-03-21', 'SMA-1', 'SMA-2', 61);
  await payOn(database, b1, 110_000, '2026-03-10');

  worker = startTestWorker(database, redis.url, redis.prefix, {
    queues: ['scoring'],
    collections: { now: () => ist('2026-04-01', '01:30') },
  });
  await worker.ready;
});
afterAll(async () => {
  await worker.closeAll();
  await api.close();
  await redis.cleanup();
  await database.drop();
});

async function score(data: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  jobSeq += 1;
  const queue = redis.queues.get('scoring');
  const job = await queue.add('compute-scores', data, { jobId: `test-score-${jobSeq}` });
  await waitFor(async () => (await queue.getJobState(job.id as string)) === 'completed', { what: 'compute-scores to complete' });
  return (await Job.fromId(queue, job.id as string))?.returnvalue as Record<string, unknown>;
}

const stored = () =>
  database.db
    .selectFrom('collector_scores')
    .select([
      'collector_id',
      'collected_paise',
      'due_paise',
      'collection_efficiency',
      'promises_resolved',
      'promises_kept',
      'ptp_kept_rate',
      'loans_in_scope',
      'loans_delinquent',
      'loans_cured',
      'loans_rolled_forward',
      'cure_rate',
      'roll_forward_rate',
      'score',
      'computed_at',
    ])
    .where('business_date', '=', DAY)
    .orderBy('collector_id')
    .execute();

describe('collector scoring', () => {
  it('scores the day that just ended (IST) against the hand-computed figures', async () => {
    // 01:30 IST on 1 April is still 31 March in UTC and Los Angeles: the day scored is 31 March.
    expect(await score()).toEqual({ enabled: true, businessDate: DAY, scored: 2 });
    const rows = await stored();
    expect(rows.map(({ computed_at: _computedAt, ...rest }) => rest)).toEqual([
      {
        collector_id: a,
        // Due in the window: 5, 10 and 20 March EMIs; collected 55,000 + 220,000.
        collected_paise: 275_000,
        due_paise: 330_000,
        collection_efficiency: 0.833333,
        promises_resolved: 2,
        promises_kept: 1,
        ptp_kept_rate: 0.5,
        loans_in_scope: 3,
        loans_delinquent: 2,
        loans_cured: 1,
        loans_rolled_forward: 2,
        cure_rate: 0.5,
        roll_forward_rate: 0.666667,
        // (40·275/330 + 25·0.5 + 20·0.5 + 15·(1 − 2/3)) ÷ 100 = 0.608333…
        score: 60.83,
      },
      {
        collector_id: b,
        collected_paise: 110_000,
        due_paise: 110_000,
        collection_efficiency: 1,
        promises_resolved: 0,
        promises_kept: 0,
        ptp_kept_rate: null,
        loans_in_scope: 1,
        loans_delinquent: 0,
        loans_cured: 0,
        loans_rolled_forward: 0,
        cure_rate: null,
        roll_forward_rate: 0,
        // Only efficiency and roll-forward have a denominator: (40·1 + 15·1) ÷ 55.
        score: 100,
      },
    ]);
    expect(rows.some((row) => row.collector_id === idle)).toBe(false);
  });

  it('replaces the day’s scores when run again, never adds a second row', async () => {
    const before = await stored();
    expect(await score({ businessDate: DAY })).toMatchObject({ scored: 2 });
    const after = await stored();
    expect(after.map((row) => [row.collector_id, row.score])).toEqual(before.map((row) => [row.collector_id, row.score]));
    expect(after[0]?.computed_at.getTime()).toBeGreaterThan(before[0]?.computed_at.getTime() as number);
    const count = await database.db.selectFrom('collector_scores').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
    const runs = await database.db.selectFrom('audit_log').select(['action', 'after']).where('entity_type', '=', 'collector_scores').where('entity_id', '=', DAY).execute();
    expect(runs).toEqual([
      { action: 'COLLECTOR_SCORES_COMPUTED', after: { scored: 2 } },
      { action: 'COLLECTOR_SCORES_COMPUTED', after: { scored: 2 } },
    ]);
  });

  it('GET /v1/collectors/scores is the leaderboard of a date (yesterday by default)', async () => {
    const response = await api.request('GET', '/v1/collectors/scores', { role: 'ops' });
    expect(response.status).toBe(200);
    const body = response.body as { businessDate: string; items: { rank: number; collectorId: number; score: number; collectorName: string }[] };
    expect(body.businessDate).toBe(DAY);
    expect(body.items.map((item) => [item.rank, item.collectorId, item.collectorName, item.score])).toEqual([
      [1, b, 'Bharat', 100],
      [2, a, 'Asha', 60.83],
    ]);
    const empty = await api.request('GET', '/v1/collectors/scores?date=2026-03-01', { role: 'admin' });
    expect(empty.body).toEqual({ businessDate: '2026-03-01', items: [] });
    expect((await api.request('GET', '/v1/collectors/scores?date=31-03-2026', { role: 'admin' })).status).toBe(400);
    expect((await api.request('GET', '/v1/collectors/scores', { role: 'collector', sub: String(a) })).status).toBe(403);
  });

  it('GET /v1/collectors/:id/scores is one collector’s history; a collector sees only their own', async () => {
    const own = await api.request('GET', `/v1/collectors/${a}/scores`, { role: 'collector', sub: String(a) });
    expect(own.status).toBe(200);
    expect((own.body as { items: { businessDate: string; score: number; ptpKeptRate: number }[] }).items).toEqual([
      expect.objectContaining({ businessDate: DAY, score: 60.83, ptpKeptRate: 0.5 }),
    ]);
    expect((await api.request('GET', `/v1/collectors/${b}/scores`, { role: 'collector', sub: String(a) })).status).toBe(404);
    expect((await api.request('GET', '/v1/collectors/999999/scores', { role: 'ops' })).status).toBe(404);
  });

  it('with SCORING_ENABLED=false scores nothing', async () => {
    const off = startTestWorker(database, redis.url, redis.prefix, {
      queues: ['scoring'],
      collections: { scoringEnabled: false, now: () => ist('2026-04-01', '01:30') },
    });
    await worker.closeAll();
    worker = off;
    expect(await score({ businessDate: '2026-03-30' })).toEqual({ enabled: false, businessDate: '2026-03-30' });
    const rows = await database.db.selectFrom('collector_scores').select('collector_id').where('business_date', '=', '2026-03-30').execute();
    expect(rows).toEqual([]);
  });
});
