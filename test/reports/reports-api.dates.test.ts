import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { acceptPayment, postPayment, reversePayment } from '@loanops/payments';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { waitFor } from '../support/wait.js';
import { insertLoan } from '../support/fixtures.js';
import { runDpd } from '../dpd/helpers.js';

/**
 * The reports over a small book computed by hand. Four loans are created on 2026-03-01, each
 * installment ₹1,000 principal + ₹100 interest (110,000 paise):
 *   L1 (collector COLA) due 02-15, 03-15, 04-15 — SMA-0 (DPD 14) at creation; pays ₹2,200 on 03-16 → CURRENT
 *   L2 (COLA)           due 03-15, 04-15, 05-15 — CURRENT; pays ₹1,100 on 03-10 (before its due date)
 *   L3 (COLB)           due 01-10, 02-10, 03-10 — SMA-1 (DPD 50); pays nothing → NPA (DPD 92) on 04-12, escalated
 *   L4 (no collector)   due 03-20, 04-20        — CURRENT; pays ₹1,100 on 03-25, reversed (bounced) on 03-27
 *                                                   → SMA-0 (DPD 7) on 03-27, DPD 23 on 04-12
 * and the DPD run of 2026-04-12. The API's clock is 2026-04-20 (IST).
 */
const API_NOW = new Date('2026-04-19T20:00:00Z'); // 01:30 IST on 20 April; still 19 April in UTC and LA
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let worker: ReturnType<typeof startTestWorker>;
const loans: Record<string, number> = {};

const istNoon = (date: string) => new Date(`${date}T06:30:00Z`);
const dues = (dates: string[]) => dates.map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 }));

async function pay(loanId: number, amountPaise: number, on: string, utr: string): Promise<number> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: on, mode: 'UPI' },
    { receivedBy: 'finance:test', requestId: null, now: istNoon(on) },
  );
  const outcome = await postPayment(database.db, intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now: istNoon(on), actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => API_NOW });
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd', 'escalation'] });
  const [colA, colB] = await database.db
    .insertInto('collectors')
    .values([
      { code: 'COLA', name: 'Asha' },
      { code: 'COLB', name: 'Bala' },
    ])
    .returning('id')
    .execute();
  const created = '2026-03-01';
  const make = (installments: string[], collectorId?: number) =>
    insertLoan(
      database,
      {
        principalPaise: 100_000 * installments.length,
        tenureMonths: installments.length,
        disbursedOn: '2025-12-15',
        installments: dues(installments),
        ...(collectorId ? { collectorId } : {}),
      },
      created,
    );
  loans.L1 = await make(['2026-02-15', '2026-03-15', '2026-04-15'], colA?.id);
  loans.L2 = await make(['2026-03-15', '2026-04-15', '2026-05-15'], colA?.id);
  loans.L3 = await make(['2026-01-10', '2026-02-10', '2026-03-10'], colB?.id);
  loans.L4 = await make(['2026-03-20', '2026-04-20']);
  await pay(loans.L2 as number, 110_000, '2026-03-10', 'UTRREPORTS0002');
  await pay(loans.L1 as number, 220_000, '2026-03-16', 'UTRREPORTS0001');
  const bounced = await pay(loans.L4 as number, 110_000, '2026-03-25', 'UTRREPORTS0004');
  await reversePayment(database.db, bounced, {
    actor: { type: 'user', id: 'finance-1', role: 'finance' },
    requestId: null,
    reason: 'cheque bounced',
    bucketTable: DEFAULT_BUCKET_TABLE,
    now: istNoon('2026-03-27'),
  });
  await runDpd(database, redis.queues, '2026-04-12');
  await waitFor(
    async () => (await database.db.selectFrom('legal_cases').select('id').executeTakeFirst()) ?? undefined,
    { what: 'the legal case of L3', timeoutMs: 20_000 },
  );
});
afterAll(async () => {
  await worker.closeAll();
  await api.close();
  await redis.cleanup();
  await database.drop();
});

const rowsOf = (body: unknown) => body as Record<string, unknown>[];

describe('GET /v1/reports/portfolio-buckets', () => {
  it('gives loans and outstanding per bucket as the book stood at the end of a past date', async () => {
    const response = await api.request('GET', '/v1/reports/portfolio-buckets?asOf=2026-03-01', { role: 'finance' });
    expect(response.status).toBe(200);
    expect(rowsOf(response.body).map((row) => [row.bucket, row.loans, row.principalOutstandingPaise, row.totalOutstandingPaise])).toEqual([
      ['CURRENT', 2, 500_000, 550_000],
      ['SMA-0', 1, 300_000, 330_000],
      ['SMA-1', 1, 300_000, 330_000],
      ['SMA-2', 0, 0, 0],
      ['NPA', 0, 0, 0],
      ['TOTAL', 4, 1_100_000, 1_210_000],
    ]);
    expect(rowsOf(response.body)[0]).toMatchObject({ asOf: '2026-03-01', loansPct: 50, principalPct: 45.45 });
  });

  it('counts a payment reversed after the date as paid on it, and a crossing the run dated back', async () => {
    const response = await api.request('GET', '/v1/reports/portfolio-buckets?asOf=2026-03-26', { role: 'finance' });
    expect(rowsOf(response.body).map((row) => [row.bucket, row.loans, row.principalOutstandingPaise, row.totalOutstandingPaise])).toEqual([
      ['CURRENT', 3, 400_000, 440_000],
      ['SMA-0', 0, 0, 0],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 1, 300_000, 330_000],
      ['NPA', 0, 0, 0],
      ['TOTAL', 4, 700_000, 770_000],
    ]);
  });

  it('counts the payments and the run by the later date', async () => {
    const response = await api.request('GET', '/v1/reports/portfolio-buckets?asOf=2026-04-12', { role: 'ops' });
    expect(rowsOf(response.body).map((row) => [row.bucket, row.loans, row.principalOutstandingPaise, row.totalOutstandingPaise])).toEqual([
      ['CURRENT', 2, 300_000, 330_000],
      ['SMA-0', 1, 200_000, 220_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 300_000, 330_000],
      ['TOTAL', 4, 800_000, 880_000],
    ]);
  });

  it('defaults to today (IST) and refuses a date after it, naming the field', async () => {
    const today = await api.request('GET', '/v1/reports/portfolio-buckets');
    expect(rowsOf(today.body)[0]).toMatchObject({ asOf: '2026-04-20' });
    const future = await api.request('GET', '/v1/reports/portfolio-buckets?asOf=2026-04-21');
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: [{ path: 'asOf' }] } });
    const bad = await api.request('GET', '/v1/reports/portfolio-buckets?asOf=2026-02-30');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { details: [{ path: 'asOf' }] } });
    // A date whose default window would start before year 1 is refused, not a 500.
    const ancient = await api.request('GET', '/v1/reports/collection-efficiency?to=0001-05-01');
    expect(ancient.status).toBe(400);
    expect(ancient.body).toMatchObject({ error: { details: [{ path: 'to' }] } });
  });
});

describe('GET /v1/reports/roll-rates', () => {
  it('gives the matrix between two dates, counts and amounts, each row normalised', async () => {
    const response = await api.request('GET', '/v1/reports/roll-rates?from=2026-03-01&to=2026-04-12');
    expect(response.status).toBe(200);
    const [current, sma0, sma1, sma2, npa] = rowsOf(response.body);
    expect(current).toMatchObject({
      fromBucket: 'CURRENT',
      loans: 2,
      amountPaise: 550_000,
      'to_CURRENT_loans': 1,
      'to_CURRENT_loansPct': 50,
      'to_CURRENT_paise': 330_000,
      'to_CURRENT_paisePct': 60,
      'to_SMA-0_loans': 1,
      'to_SMA-0_paisePct': 40,
      forwardLoansPct: 50,
      stableLoansPct: 50,
      rollBackLoansPct: 0,
      cureLoansPct: 0,
    });
    expect(sma0).toMatchObject({ fromBucket: 'SMA-0', loans: 1, 'to_CURRENT_loans': 1, cureLoansPct: 100, forwardLoansPct: 0 });
    expect(sma1).toMatchObject({ fromBucket: 'SMA-1', loans: 1, 'to_NPA_loans': 1, 'to_NPA_paise': 330_000, forwardLoansPct: 100 });
    expect(sma2).toMatchObject({ fromBucket: 'SMA-2', loans: 0, forwardLoansPct: null });
    expect(npa).toMatchObject({ fromBucket: 'NPA', loans: 0 });
  });

  it('refuses from after to, and a missing from, naming the field', async () => {
    const reversed = await api.request('GET', '/v1/reports/roll-rates?from=2026-04-12&to=2026-03-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: [{ path: 'from' }] } });
    const missing = await api.request('GET', '/v1/reports/roll-rates');
    expect(missing.body).toMatchObject({ error: { details: [{ path: 'from', message: 'is required' }] } });
  });
});

describe('GET /v1/reports/collection-efficiency', () => {
  it('by month and collector: collected and collected against the month’s dues, over what fell due', async () => {
    const response = await api.request('GET', '/v1/reports/collection-efficiency?from=2026-03-01&to=2026-03-31', { role: 'finance' });
    expect(response.status).toBe(200);
    expect(rowsOf(response.body)).toEqual([
      {
        month: '2026-03',
        collectorCode: 'COLA',
        collectorName: 'Asha',
        loans: 2,
        demandPaise: 220_000,
        collectedPaise: 330_000,
        collectedAgainstDemandPaise: 220_000,
        collectionEfficiencyPct: 150,
        billingEfficiencyPct: 100,
      },
      {
        month: '2026-03',
        collectorCode: 'COLB',
        collectorName: 'Bala',
        loans: 1,
        demandPaise: 110_000,
        collectedPaise: 0,
        collectedAgainstDemandPaise: 0,
        collectionEfficiencyPct: 0,
        billingEfficiencyPct: 0,
      },
      {
        month: '2026-03',
        collectorCode: 'UNASSIGNED',
        collectorName: null,
        loans: 1,
        demandPaise: 110_000,
        collectedPaise: 0,
        collectedAgainstDemandPaise: 0,
        collectionEfficiencyPct: 0,
        billingEfficiencyPct: 0,
      },
    ]);
  });

  it('by month alone', async () => {
    const response = await api.request('GET', '/v1/reports/collection-efficiency?from=2026-02-01&to=2026-03-31&by=month');
    expect(rowsOf(response.body)).toEqual([
      { month: '2026-02', loans: 2, demandPaise: 220_000, collectedPaise: 0, collectedAgainstDemandPaise: 0, collectionEfficiencyPct: 0, billingEfficiencyPct: 0 },
      {
        month: '2026-03',
        loans: 4,
        demandPaise: 440_000,
        collectedPaise: 330_000,
        collectedAgainstDemandPaise: 220_000,
        collectionEfficiencyPct: 75,
        billingEfficiencyPct: 50,
      },
    ]);
  });

  it('as CSV and as XLSX, the same rows', async () => {
    const csv = await api.request('GET', '/v1/reports/collection-efficiency?from=2026-03-01&to=2026-03-31&by=collector&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain('collection-efficiency-2026-03-01-2026-03-31.csv');
    expect(String(csv.body).split('\r\n')).toEqual([
      'collectorCode,collectorName,loans,demandPaise,collectedPaise,collectedAgainstDemandPaise,collectionEfficiencyPct,billingEfficiencyPct',
      'COLA,Asha,2,220000,330000,220000,150,100',
      'COLB,Bala,1,110000,0,0,0,0',
      'UNASSIGNED,,1,110000,0,0,0,0',
      '',
    ]);
    const token = await api.token('admin');
    const xlsx = await fetch(`${api.url}/v1/reports/collection-efficiency?from=2026-03-01&to=2026-03-31&by=month&format=xlsx`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await xlsx.arrayBuffer());
    const sheet = workbook.worksheets[0];
    expect(sheet?.getRow(1).values).toEqual([
      undefined,
      'Month',
      'Loans',
      'Fell due (₹)',
      'Collected (₹)',
      'Collected against the month’s dues (₹)',
      'Collection efficiency %',
      'Billing efficiency %',
    ]);
    expect(sheet?.getRow(2).values).toEqual([undefined, '2026-03', 4, 4_400, 3_300, 2_200, 75, 50]);
  });

  it('refuses an unknown format or grouping, naming the field', async () => {
    const format = await api.request('GET', '/v1/reports/collection-efficiency?format=pdf');
    expect(format.status).toBe(400);
    expect(format.body).toMatchObject({ error: { details: [{ path: 'format' }] } });
    const by = await api.request('GET', '/v1/reports/collection-efficiency?by=branch&extra=1');
    expect(by.status).toBe(400);
    expect((by.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort()).toEqual(['', 'by']);
  });
});

describe('GET /v1/reports/dpd-runs and /legal-pipeline', () => {
  it('lists the DPD runs in the range', async () => {
    const response = await api.request('GET', '/v1/reports/dpd-runs?from=2026-04-01&to=2026-04-30&format=json');
    expect(rowsOf(response.body)).toEqual([
      expect.objectContaining({ businessDate: '2026-04-12', status: 'SUCCEEDED', loansScanned: 4, escalations: 1, trigger: 'MANUAL' }),
    ]);
    const none = await api.request('GET', '/v1/reports/dpd-runs?from=2026-05-01&to=2026-05-31');
    expect(none.body).toEqual([]);
  });

  it('lists the open legal cases with their loans as they stand', async () => {
    const response = await api.request('GET', '/v1/reports/legal-pipeline?format=csv', { role: 'ops' });
    const lines = String(response.body).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    const header = (lines[0] as string).split(',');
    const row = Object.fromEntries((lines[1] as string).split(',').map((value, i) => [header[i], value]));
    expect(row).toMatchObject({
      caseStatus: 'OPEN',
      openedOn: '2026-04-12',
      daysOpen: '8',
      loanStatus: 'LEGAL',
      collectorCode: 'COLB',
      dpdAtOpening: '92',
      outstandingAtOpeningPaise: '330000',
      bucket: 'NPA',
    });
  });
});

describe('who may read reports', () => {
  it('refuses collectors and the legal team', async () => {
    for (const role of ['collector', 'legal'] as const) {
      const response = await api.request('GET', '/v1/reports/portfolio-buckets', { role });
      expect(response.status).toBe(403);
    }
  });
});
