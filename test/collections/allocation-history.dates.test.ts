import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateLoans } from '@loanops/collections';
import { isPgError, setTransactionBusinessDate } from '@loanops/db';
import { businessToday, type BusinessDate } from '@loanops/domain';
import { applyLoanEdit, submitLoanEdit } from '@loanops/loan-book';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { insertCollector, ist } from './helpers.js';

/**
 * The allocation history (loan_allocations) is kept by triggers on loans, whichever way a loan's
 * collector is set: creation, bulk allocation (function and route), a loan edit, a bare UPDATE.
 */
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let asha: number;
let bharat: number;
let chitra: number;
const ops = { type: 'user' as const, id: 'ops-1', role: 'ops' };

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => ist('2026-04-02', '00:30') });
  asha = await insertCollector(database, 'Asha');
  bharat = await insertCollector(database, 'Bharat');
  chitra = await insertCollector(database, 'Chitra');
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

const historyOf = async (loanId: number) =>
  (
    await database.db
      .selectFrom('loan_allocations')
      .select(['collector_id', 'allocated_on', 'ended_on'])
      .where('loan_id', '=', loanId)
      .orderBy('allocated_on')
      .execute()
  ).map((row) => [row.collector_id, row.allocated_on, row.ended_on]);

const newLoan = () => insertLoan(database, { disbursedOn: '2026-01-10' }, '2026-02-01');

/** A bare UPDATE of the loan's collector, dated `on` when given. */
async function setCollector(loanId: number, collectorId: number | null, on?: BusinessDate): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    if (on !== undefined) await setTransactionBusinessDate(trx, on);
    await trx.updateTable('loans').set({ collector_id: collectorId }).where('id', '=', loanId).execute();
  });
}

async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return isPgError(error) ? error.code : String(error);
  }
  return 'no error';
}

describe('allocation history', () => {
  it('takes a loan created with a collector as theirs since its disbursement; one without has none', async () => {
    const withCollector = await insertLoan(database, { disbursedOn: '2026-01-10', collectorId: asha }, '2026-02-01');
    const without = await newLoan();
    expect(await historyOf(withCollector)).toEqual([[asha, '2026-01-10', null]]);
    expect(await historyOf(without)).toEqual([]);
  });

  it('records bulk allocations on their business date: the old period ends where the new one starts', async () => {
    const [first, second] = [await newLoan(), await newLoan()];
    await allocateLoans(database.db, asha, { loanIds: [first, second] }, { actor: ops, requestId: null, today: '2026-03-01' });
    await allocateLoans(database.db, bharat, { loanIds: [second] }, { actor: ops, requestId: null, today: '2026-03-15' });
    // Already Bharat's: nothing moves, nothing is recorded.
    await allocateLoans(database.db, bharat, { filter: { currentCollectorId: bharat } }, { actor: ops, requestId: null, today: '2026-03-20' });
    expect(await historyOf(first)).toEqual([[asha, '2026-03-01', null]]);
    expect(await historyOf(second)).toEqual([
      [asha, '2026-03-01', '2026-03-15'],
      [bharat, '2026-03-15', null],
    ]);
  });

  it('dates an allocation through the API by the API’s IST date (00:30 IST on 2 April is 1 April in UTC)', async () => {
    const loan = await newLoan();
    const response = await api.request('POST', `/v1/collectors/${chitra}/allocations`, { role: 'ops', body: { loanIds: [loan] } });
    expect(response.status).toBe(200);
    expect(await historyOf(loan)).toEqual([[chitra, '2026-04-02', null]]);
  });

  it('records a bare UPDATE on the IST date of its transaction, whatever the session’s time zone', async () => {
    const loan = await newLoan();
    const startedAt = await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL TIME ZONE 'America/Los_Angeles'`.execute(trx);
      await trx.updateTable('loans').set({ collector_id: asha }).where('id', '=', loan).execute();
      return (await sql<{ started: Date }>`SELECT now() AS started`.execute(trx)).rows[0]?.started as Date;
    });
    expect(await historyOf(loan)).toEqual([[asha, businessToday(startedAt), null]]);
  });

  it('records a loan edit’s change of collector', async () => {
    const loan = await newLoan();
    await setCollector(loan, asha, '2026-03-01');
    const { editId } = await submitLoanEdit(database.db, loan, { collectorId: bharat }, { requestedBy: 'ops:ops-1', requestId: null });
    expect(await applyLoanEdit(database.db, editId, { type: 'system', id: 'edits-worker' })).toMatchObject({ status: 'APPLIED' });
    // The edits worker sets no date: the database's IST date of the change.
    const history = await historyOf(loan);
    expect(history).toEqual([
      [asha, '2026-03-01', expect.any(String)],
      [bharat, expect.any(String), null],
    ]);
    expect(history[0]?.[2]).toBe(history[1]?.[1]);
  });

  it('keeps the holder at each day’s close: moves within one day leave one period, and a move back rejoins', async () => {
    const loan = await newLoan();
    await setCollector(loan, asha, '2026-03-01');
    await setCollector(loan, bharat, '2026-03-10');
    await setCollector(loan, chitra, '2026-03-10');
    expect(await historyOf(loan)).toEqual([
      [asha, '2026-03-01', '2026-03-10'],
      [chitra, '2026-03-10', null],
    ]);
    await setCollector(loan, asha, '2026-03-10');
    expect(await historyOf(loan)).toEqual([[asha, '2026-03-01', null]]);

    // No collector from 20 March, Bharat's from 25 March.
    await setCollector(loan, null, '2026-03-20');
    await setCollector(loan, bharat, '2026-03-25');
    expect(await historyOf(loan)).toEqual([
      [asha, '2026-03-01', '2026-03-20'],
      [bharat, '2026-03-25', null],
    ]);
  });

  it('refuses a change dated before the period it would end, and overlapping periods', async () => {
    const loan = await newLoan();
    await setCollector(loan, asha, '2026-03-10');
    expect(await refusal(setCollector(loan, bharat, '2026-03-09'))).toBe('23514');
    const overlap = database.db
      .insertInto('loan_allocations')
      .values({ loan_id: loan, collector_id: bharat, allocated_on: '2026-03-05', ended_on: '2026-03-11' })
      .execute();
    expect(await refusal(overlap)).toBe('23P01');
    expect(await refusal(setCollector(loan, bharat, '10-03-2026'))).toBe('22023');
    expect(await historyOf(loan)).toEqual([[asha, '2026-03-10', null]]);
  });
});
