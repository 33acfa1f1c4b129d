import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { importBook } from '@loanops/loan-book';
import { acceptPayment, postPayment, reversePayment } from '@loanops/payments';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { insertLoan } from '../support/fixtures.js';
import { runDpd } from '../dpd/helpers.js';
import { loan, scratchDir, writeBookCsv, writeScheduleCsv, type Scratch } from '../import/book-files.js';

/**
 * The book at past dates when part of it was imported with repayments made before this system
 * (paid amounts on the installments, no payment rows). Every installment is ₹1,000 principal +
 * ₹100 interest (110,000 paise).
 *   A1 (booked 02-01)   due 02-15, 03-15, 04-15 — pays ₹1,100 on 02-15; pays ₹1,100 posted 03-16
 *                                                 (value date 03-14), reversed on 03-20 → SMA-0
 *   I1 (imported 03-01) due 01-05, 02-05, 03-05, 04-05, ₹1,100 paid before — SMA-0 (DPD 24);
 *                                                 pays ₹2,200 on 03-10 → CURRENT; the run of 04-12
 *                                                 dates SMA-0 back to 04-06; a ₹500 charge levied
 *                                                 04-01 is paid on 04-14
 *   I2 (imported 03-01) due 2025-12-05, 2026-01-05, all paid before — closed at import
 *   I3 (imported 03-01) due 2025-10-05, 11-05, 12-05, 2026-01-05, ₹1,600 paid before — NPA
 *                                                 (DPD 116); a ₹500 charge levied 03-20; pays
 *                                                 ₹1,000 on 03-25 (the charge, then ₹500 principal),
 *                                                 reversed on 03-27
 * The API's clock is 2026-04-20 (IST).
 */
const API_NOW = new Date('2026-04-19T20:00:00Z'); // 01:30 IST on 20 April; still 19 April in UTC and LA
const IMPORTED_ON = '2026-03-01';
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let worker: ReturnType<typeof startTestWorker>;
let scratch: Scratch;

const istNoon = (date: string) => new Date(`${date}T06:30:00Z`);
const finance = { type: 'user', id: 'finance-1', role: 'finance' } as const;

async function pay(loanId: number, amountPaise: number, valueDate: string, postedOn: string, utr: string): Promise<number> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate, mode: 'UPI' },
    { receivedBy: 'finance:test', requestId: null, now: istNoon(postedOn) },
  );
  const outcome = await postPayment(database.db, intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now: istNoon(postedOn), actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}

async function reverse(paymentId: number, on: string): Promise<void> {
  await reversePayment(database.db, paymentId, {
    actor: finance,
    requestId: null,
    reason: 'returned by the bank',
    bucketTable: DEFAULT_BUCKET_TABLE,
    now: istNoon(on),
  });
}

/** A charge levied by hand (nothing in the product levies one yet), with the loan's balance. */
async function levy(loanId: number, on: string, amountPaise: number): Promise<void> {
  await database.db.insertInto('loan_charges').values({ loan_id: loanId, kind: 'BOUNCE', levied_on: on, amount_paise: amountPaise }).execute();
  await sql`UPDATE loans SET charges_outstanding_paise = charges_outstanding_paise + ${amountPaise} WHERE id = ${loanId}`.execute(database.db);
}

async function loanId(loanNumber: string): Promise<number> {
  const row = await database.db.selectFrom('loans').select('id').where('loan_number', '=', loanNumber).executeTakeFirstOrThrow();
  return row.id;
}

const schedule = (loanNumber: string, dues: string[]) =>
  dues.map((dueOn, index) => ({ loan_number: loanNumber, installment_no: index + 1, due_on: dueOn, principal: '1,000', interest: '100' }));

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  scratch = await scratchDir();
  api = await startTestApi(database, redis.queues, { now: () => API_NOW });
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'] });

  const a1 = await insertLoan(
    database,
    {
      principalPaise: 300_000,
      tenureMonths: 3,
      disbursedOn: '2026-01-15',
      installments: ['2026-02-15', '2026-03-15', '2026-04-15'].map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 })),
    },
    '2026-02-01',
  );

  const file = await writeBookCsv(scratch, 'book.csv', [
    loan('I1', { principal: '4,000', tenure_months: 4, disbursed_on: '2025-12-05', paid_to_date: '1,100' }),
    loan('I2', { principal: '2,000', tenure_months: 2, disbursed_on: '2025-11-05', paid_to_date: '2,200' }),
    loan('I3', { principal: '4,000', tenure_months: 4, disbursed_on: '2025-09-05', paid_to_date: '1,600' }),
  ]);
  const scheduleFile = await writeScheduleCsv(scratch, 'schedule.csv', [
    ...schedule('I1', ['2026-01-05', '2026-02-05', '2026-03-05', '2026-04-05']),
    ...schedule('I2', ['2025-12-05', '2026-01-05']),
    ...schedule('I3', ['2025-10-05', '2025-11-05', '2025-12-05', '2026-01-05']),
  ]);
  const report = await importBook(database.db, {
    file,
    scheduleFile,
    today: IMPORTED_ON,
    bucketTable: DEFAULT_BUCKET_TABLE,
    actor: { type: 'system', id: 'import' },
  });
  if (report.outcome !== 'IMPORTED') throw new Error(`import failed: ${JSON.stringify(report.issues)}`);
  const [i1, i3] = [await loanId('I1'), await loanId('I3')];

  await pay(a1, 110_000, '2026-02-15', '2026-02-15', 'UTRIMPORTEDA01');
  await pay(i1, 220_000, '2026-03-10', '2026-03-10', 'UTRIMPORTEDI11');
  await reverse(await pay(a1, 110_000, '2026-03-14', '2026-03-16', 'UTRIMPORTEDA02'), '2026-03-20');
  await levy(i3, '2026-03-20', 50_000);
  await reverse(await pay(i3, 100_000, '2026-03-25', '2026-03-25', 'UTRIMPORTEDI31'), '2026-03-27');
  await levy(i1, '2026-04-01', 50_000);
  await runDpd(database, redis.queues, '2026-04-12');
  await pay(i1, 50_000, '2026-04-14', '2026-04-14', 'UTRIMPORTEDI12');
});
afterAll(async () => {
  await worker.closeAll();
  await api.close();
  await redis.cleanup();
  await scratch.remove();
  await database.drop();
});

const rowsOf = (body: unknown) => body as Record<string, unknown>[];

async function portfolio(asOf: string): Promise<[unknown, unknown, unknown, unknown][]> {
  const response = await api.request('GET', `/v1/reports/portfolio-buckets?asOf=${asOf}`, { role: 'finance' });
  expect(response.status).toBe(200);
  return rowsOf(response.body).map((row) => [row.bucket, row.loans, row.principalOutstandingPaise, row.totalOutstandingPaise]);
}

describe('portfolio-buckets over a book partly imported with repayments made before it', () => {
  it('leaves the imported loans out before the day they were imported', async () => {
    // A1 alone, its first payment still to come.
    expect(await portfolio('2026-02-10')).toEqual([
      ['CURRENT', 1, 300_000, 330_000],
      ['SMA-0', 0, 0, 0],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 0, 0, 0],
      ['TOTAL', 1, 300_000, 330_000],
    ]);
  });

  it('counts what was repaid before the import, and not payments posted after the date', async () => {
    // A1 ₹2,200 left; I1 ₹3,300 (its ₹2,200 of 03-10 still to come); I3 ₹2,800; I2 nothing left.
    expect(await portfolio(IMPORTED_ON)).toEqual([
      ['CURRENT', 1, 200_000, 220_000],
      ['SMA-0', 1, 300_000, 330_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 280_000],
      ['TOTAL', 3, 760_000, 830_000],
    ]);
  });

  it('counts a payment from the day it was posted, not its earlier value date', async () => {
    // A1's second payment has value date 03-14 but was posted on 03-16.
    expect(await portfolio('2026-03-15')).toEqual([
      ['CURRENT', 2, 300_000, 330_000],
      ['SMA-0', 0, 0, 0],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 280_000],
      ['TOTAL', 3, 560_000, 610_000],
    ]);
    expect(await portfolio('2026-03-17')).toEqual([
      ['CURRENT', 2, 200_000, 220_000],
      ['SMA-0', 0, 0, 0],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 280_000],
      ['TOTAL', 3, 460_000, 500_000],
    ]);
  });

  it('counts a payment reversed after the date as paid on it, on an imported loan too', async () => {
    // A1's reversal (03-20) is before the date, I3's (03-27) after it: its charge and ₹500 of principal paid.
    expect(await portfolio('2026-03-26')).toEqual([
      ['CURRENT', 1, 100_000, 110_000],
      ['SMA-0', 1, 200_000, 220_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 210_000, 230_000],
      ['TOTAL', 3, 510_000, 560_000],
    ]);
  });

  it('counts a charge from the day it was levied, and a payment of it from the day it was posted', async () => {
    // I3's charge levied and not yet paid.
    expect(await portfolio('2026-03-22')).toEqual([
      ['CURRENT', 1, 100_000, 110_000],
      ['SMA-0', 1, 200_000, 220_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 330_000],
      ['TOTAL', 3, 560_000, 660_000],
    ]);
    // I1's charge not levied yet, though paid since.
    expect(await portfolio('2026-03-31')).toEqual([
      ['CURRENT', 1, 100_000, 110_000],
      ['SMA-0', 1, 200_000, 220_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 330_000],
      ['TOTAL', 3, 560_000, 660_000],
    ]);
    // I1's charge levied, its payment still to come; I1 back in SMA-0 from 04-06.
    expect(await portfolio('2026-04-12')).toEqual([
      ['CURRENT', 0, 0, 0],
      ['SMA-0', 2, 300_000, 380_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 330_000],
      ['TOTAL', 3, 560_000, 710_000],
    ]);
  });

  it('agrees with the stored balances today', async () => {
    expect(await portfolio('2026-04-20')).toEqual([
      ['CURRENT', 0, 0, 0],
      ['SMA-0', 2, 300_000, 330_000],
      ['SMA-1', 0, 0, 0],
      ['SMA-2', 0, 0, 0],
      ['NPA', 1, 260_000, 330_000],
      ['TOTAL', 3, 560_000, 660_000],
    ]);
    const stored = await database.db
      .selectFrom('loans')
      .select((eb) => [eb.fn.sum<string>('principal_outstanding_paise').as('principal'), eb.fn.sum<string>('total_outstanding_paise').as('total')])
      .executeTakeFirstOrThrow();
    expect([Number(stored.principal), Number(stored.total)]).toEqual([560_000, 660_000]);
  });
});

describe('roll-rates over a book partly imported with repayments made before it', () => {
  async function matrix(from: string, to: string): Promise<Record<string, Record<string, unknown>>> {
    const response = await api.request('GET', `/v1/reports/roll-rates?from=${from}&to=${to}`, { role: 'finance' });
    expect(response.status).toBe(200);
    return Object.fromEntries(rowsOf(response.body).map((row) => [row.fromBucket as string, row]));
  }

  it('cures an imported loan that paid its arrears, at what it owed on the first date', async () => {
    const rows = await matrix('2026-03-05', '2026-03-15');
    expect(rows.CURRENT).toMatchObject({ loans: 1, amountPaise: 220_000, 'to_CURRENT_loans': 1, stableLoansPct: 100 });
    expect(rows['SMA-0']).toMatchObject({ loans: 1, amountPaise: 330_000, 'to_CURRENT_paise': 330_000, cureLoansPct: 100 });
    expect(rows.NPA).toMatchObject({ loans: 1, amountPaise: 280_000, 'to_NPA_loans': 1, stableLoansPct: 100 });
  });

  it('from the import day to today: the booked loan rolls forward, the imported ones stay', async () => {
    const rows = await matrix(IMPORTED_ON, '2026-04-20');
    expect(rows.CURRENT).toMatchObject({ loans: 1, amountPaise: 220_000, 'to_SMA-0_loans': 1, forwardLoansPct: 100 });
    expect(rows['SMA-0']).toMatchObject({ loans: 1, amountPaise: 330_000, 'to_SMA-0_paise': 330_000, stableLoansPct: 100 });
    expect(rows.NPA).toMatchObject({ loans: 1, amountPaise: 280_000, 'to_NPA_loans': 1, stableLoansPct: 100 });
  });

  it('from a date before the import: only the loans in the book then', async () => {
    const rows = await matrix('2026-02-10', '2026-03-26');
    expect(rows.CURRENT).toMatchObject({ loans: 1, amountPaise: 330_000, 'to_SMA-0_loans': 1, forwardLoansPct: 100 });
    for (const bucket of ['SMA-0', 'SMA-1', 'SMA-2', 'NPA']) expect(rows[bucket]).toMatchObject({ loans: 0, amountPaise: 0 });
  });
});
