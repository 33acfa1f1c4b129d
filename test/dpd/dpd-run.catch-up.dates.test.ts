import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, type BusinessDate } from '@loanops/domain';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { historyOf, loanWithDues, newCustomerRef, runDpd, standingOf } from './helpers.js';

/**
 * The scheduler was down for three days: the run after the gap must leave the book exactly as
 * runs on each of those days would have, history dates included. Two books built alike; one runs
 * every day, the other misses three.
 */
const D1 = '2026-05-01';
const days = [1, 2, 3, 4].map((n) => addDays(D1, n));
const D5 = days[3] as BusinessDate;

interface Book {
  database: TestDatabase;
  redis: TestRedis;
  worker: ReturnType<typeof startTestWorker>;
  loans: number[];
}

/** DPD on D1 of each loan's oldest EMI (null: nothing overdue); pairs share a borrower. */
const SHAPES: { dpdOnD1: number | null; pair?: string }[] = [
  { dpdOnD1: 0 }, // falls due on D1: SMA-0 from D2
  { dpdOnD1: 29 }, // SMA-1 on D3 (DPD 31)
  { dpdOnD1: 30 }, // SMA-1 on D2
  { dpdOnD1: 58 }, // SMA-2 on D4
  { dpdOnD1: 89 }, // NPA on D3
  { dpdOnD1: 45 },
  { dpdOnD1: null },
  { dpdOnD1: 88, pair: 'a' }, // NPA on D4, pulling the other loan of the borrower with it
  { dpdOnD1: 28, pair: 'a' }, // SMA-1 on D4 too: the borrower goes NPA that day, so NPA directly
  { dpdOnD1: 27, pair: 'b' }, // SMA-1 on D5
  { dpdOnD1: 87, pair: 'b' }, // NPA on D5
];

async function buildBook(): Promise<Book> {
  const database = await createTestDatabase();
  const redis = await createTestRedis();
  const worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'] });
  const refs = new Map<string, string>();
  const loans: number[] = [];
  for (const shape of SHAPES) {
    const due = shape.dpdOnD1 === null ? addDays(D1, 20) : addDays(D1, -shape.dpdOnD1);
    let customerRef: string | undefined;
    if (shape.pair) {
      customerRef = refs.get(shape.pair) ?? newCustomerRef();
      refs.set(shape.pair, customerRef);
    }
    loans.push(await loanWithDues(database, [due, addDays(due, 31)], addDays(D1, -1), customerRef ? { customerRef } : {}));
  }
  expect((await runDpd(database, redis.queues, D1)).status).toBe('SUCCEEDED');
  return { database, redis, worker, loans };
}

let daily: Book;
let gap: Book;

beforeAll(async () => {
  [daily, gap] = await Promise.all([buildBook(), buildBook()]);
  for (const day of days) expect((await runDpd(daily.database, daily.redis.queues, day)).status).toBe('SUCCEEDED');
  // D2, D3 and D4 missed.
  expect((await runDpd(gap.database, gap.redis.queues, D5)).status).toBe('SUCCEEDED');
});

afterAll(async () => {
  for (const book of [daily, gap]) {
    await book.worker.closeAll();
    await book.redis.cleanup();
    await book.database.drop();
  }
});

describe('catch-up after three missed days', () => {
  it('leaves every loan with the DPD and bucket of daily runs', async () => {
    for (const [index, loanId] of gap.loans.entries()) {
      const expected = await standingOf(daily.database, daily.loans[index] as number);
      expect({ loan: index, ...(await standingOf(gap.database, loanId)) }).toEqual({ loan: index, ...expected });
    }
  });

  it('writes the same bucket history, each move dated the day it happened', async () => {
    for (const [index, loanId] of gap.loans.entries()) {
      expect({ loan: index, history: await historyOf(gap.database, loanId) }).toEqual({
        loan: index,
        history: await historyOf(daily.database, daily.loans[index] as number),
      });
    }
  });

  it('dates the moves inside the gap (spot checks)', async () => {
    const [dueOnD1, , sma1OnD2, sma2OnD4, npaOnD3] = gap.loans as [number, number, number, number, number];
    expect(await historyOf(gap.database, dueOnD1)).toEqual([[days[0], 'CURRENT', 'SMA-0', 1, 'DPD_RUN']]);
    expect(await historyOf(gap.database, sma1OnD2)).toEqual([[days[0], 'SMA-0', 'SMA-1', 31, 'DPD_RUN']]);
    expect(await historyOf(gap.database, sma2OnD4)).toEqual([[days[2], 'SMA-1', 'SMA-2', 61, 'DPD_RUN']]);
    expect(await historyOf(gap.database, npaOnD3)).toEqual([[days[1], 'SMA-2', 'NPA', 91, 'DPD_RUN']]);
    const pairLoan = gap.loans[8] as number;
    expect(await historyOf(gap.database, pairLoan)).toEqual([[days[2], 'SMA-0', 'NPA', 31, 'DPD_RUN']]);
  });
});
