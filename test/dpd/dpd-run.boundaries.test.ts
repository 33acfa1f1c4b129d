import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '@loanops/domain';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { historyOf, loanWithDues, newCustomerRef, runDpd, standingOf } from './helpers.js';

/**
 * One run over a book made for it: DPD and bucket at every boundary of the default table, paid
 * and part-paid installments, borrower-wide and sticky NPA, a borrower's loans spread over ids far
 * apart, and chunks of two borrowers. Every loan was created the day before the run, so its held
 * standing is that day's and the run moves it by one day.
 */
const D = '2026-03-10';
const dayBefore = addDays(D, -1);
let database: TestDatabase;
let redis: TestRedis;
let worker: ReturnType<typeof startTestWorker>;

const byDpd = new Map<number, number>();
let npaPair: { sick: number; healthy: number };
let stickyPair: { cured: number; arrears: number };
let spread: { first: number; last: number };
let paid: number;
let partPaid: number;
let closed: number;
let run: Awaited<ReturnType<typeof runDpd>>;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'] });

  // One EMI overdue by exactly `dpd` days on D (due D - dpd), each its own borrower.
  for (const dpd of [0, 1, 2, 30, 31, 32, 60, 61, 62, 90, 91, 92, 400]) {
    byDpd.set(dpd, await loanWithDues(database, [addDays(D, -dpd), addDays(D, 30)], dayBefore));
  }
  // Borrower-wide NPA: one loan reaches 91 on D, the other has nothing overdue.
  const sickRef = newCustomerRef();
  npaPair = {
    sick: await loanWithDues(database, [addDays(D, -91)], dayBefore, { customerRef: sickRef }),
    healthy: await loanWithDues(database, [addDays(D, 5)], dayBefore, { customerRef: sickRef }),
  };
  // Sticky NPA: both loans NPA; one had its arrears paid (DPD 0), the other still has a few days.
  const stickyRef = newCustomerRef();
  stickyPair = {
    cured: await loanWithDues(database, [addDays(D, -3), addDays(D, 27)], dayBefore, { customerRef: stickyRef }),
    arrears: await loanWithDues(database, [addDays(D, -3), addDays(D, 27)], dayBefore, { customerRef: stickyRef }),
  };
  await sql`UPDATE installments SET principal_paid_paise = principal_due_paise, interest_paid_paise = interest_due_paise, paid_on = ${dayBefore}::date
            WHERE loan_id = ${stickyPair.cured} AND seq = 1`.execute(database.db);
  await sql`UPDATE loans SET bucket = 'NPA', dpd = CASE WHEN id = ${stickyPair.cured} THEN 0 ELSE 2 END
            WHERE id IN (${stickyPair.cured}, ${stickyPair.arrears})`.execute(database.db);
  // A borrower whose two loans have ids far apart (other borrowers' loans in between).
  const spreadRef = newCustomerRef();
  const first = await loanWithDues(database, [addDays(D, -95)], dayBefore, { customerRef: spreadRef });
  for (let i = 0; i < 5; i += 1) await loanWithDues(database, [addDays(D, 10)], dayBefore);
  spread = { first, last: await loanWithDues(database, [addDays(D, 3)], dayBefore, { customerRef: spreadRef }) };
  // Paid in full before it fell due; part-paid (1 paisa short): still overdue.
  paid = await loanWithDues(database, [addDays(D, -20), addDays(D, 10)], dayBefore);
  await sql`UPDATE installments SET principal_paid_paise = principal_due_paise, interest_paid_paise = interest_due_paise, paid_on = ${addDays(D, -25)}::date
            WHERE loan_id = ${paid} AND seq = 1`.execute(database.db);
  await sql`UPDATE loans SET dpd = 0, bucket = 'CURRENT' WHERE id = ${paid}`.execute(database.db);
  partPaid = await loanWithDues(database, [addDays(D, -20), addDays(D, 10)], dayBefore);
  await sql`UPDATE installments SET principal_paid_paise = principal_due_paise - 1, interest_paid_paise = interest_due_paise
            WHERE loan_id = ${partPaid} AND seq = 1`.execute(database.db);
  // Closed loans are not live: the run leaves them as they are.
  closed = await loanWithDues(database, [addDays(D, -40)], dayBefore);
  await sql`UPDATE loans SET status = 'WRITTEN_OFF' WHERE id = ${closed}`.execute(database.db);

  run = await runDpd(database, redis.queues, D, { chunkBorrowers: 2 });
});

afterAll(async () => {
  await worker.closeAll();
  await redis.cleanup();
  await database.drop();
});

describe('a DPD run at every boundary of the bucket table', () => {
  it('succeeds over many chunks and records its totals', async () => {
    const borrowers = await database.db.selectFrom('borrowers').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const live = await database.db.selectFrom('loans').select(sql<number>`count(*)::int`.as('n')).where('status', 'in', ['ACTIVE', 'LEGAL']).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'SUCCEEDED', chunksTotal: Math.ceil(borrowers.n / 2), loansScanned: live.n, error: null });
    expect(run.chunksDone).toBe(run.chunksTotal);
    const moves = await database.db.selectFrom('bucket_history').select(sql<number>`count(*)::int`.as('n')).where('run_id', '=', run.id).executeTakeFirstOrThrow();
    expect(run.bucketChanges).toBe(moves.n);
  });

  it.each([
    [0, 0, 'CURRENT', null],
    [1, 1, 'SMA-0', 'CURRENT'],
    [2, 2, 'SMA-0', undefined],
    [30, 30, 'SMA-0', undefined],
    [31, 31, 'SMA-1', 'SMA-0'],
    [32, 32, 'SMA-1', undefined],
    [60, 60, 'SMA-1', undefined],
    [61, 61, 'SMA-2', 'SMA-1'],
    [62, 62, 'SMA-2', undefined],
    [90, 90, 'SMA-2', undefined],
    [91, 91, 'NPA', 'SMA-2'],
    [92, 92, 'NPA', undefined],
    [400, 400, 'NPA', undefined],
  ])('an EMI %d days overdue: DPD %d, %s', async (key, dpd, bucket, movedFrom) => {
    const loanId = byDpd.get(key) as number;
    expect(await standingOf(database, loanId)).toMatchObject({ dpd, bucket });
    // Crossed on D (one row, dated D), or already in its bucket the day before (no row).
    expect(await historyOf(database, loanId)).toEqual(
      movedFrom === undefined || movedFrom === null ? [] : [[D, movedFrom, bucket, dpd, 'DPD_RUN']],
    );
  });

  it('a loan with nothing overdue keeps its standing (and its dpd_as_of)', async () => {
    expect(await standingOf(database, byDpd.get(0) as number)).toMatchObject({ dpd: 0, bucket: 'CURRENT', dpd_as_of: dayBefore });
  });

  it('makes every loan of a borrower NPA when one reaches 91, dated that day', async () => {
    expect(await standingOf(database, npaPair.sick)).toMatchObject({ dpd: 91, bucket: 'NPA' });
    expect(await standingOf(database, npaPair.healthy)).toMatchObject({ dpd: 0, bucket: 'NPA' });
    expect(await historyOf(database, npaPair.healthy)).toEqual([[D, 'CURRENT', 'NPA', 0, 'DPD_RUN']]);
  });

  it('keeps an NPA borrower NPA while any loan has arrears, even the loan at DPD 0 (sticky)', async () => {
    expect(await standingOf(database, stickyPair.cured)).toMatchObject({ dpd: 0, bucket: 'NPA' });
    expect(await standingOf(database, stickyPair.arrears)).toMatchObject({ dpd: 3, bucket: 'NPA' });
    expect(await historyOf(database, stickyPair.cured)).toEqual([]);
  });

  it("classifies a borrower's loans together however far apart their ids are (chunks are borrower ranges)", async () => {
    expect(await standingOf(database, spread.first)).toMatchObject({ dpd: 95, bucket: 'NPA' });
    expect(await standingOf(database, spread.last)).toMatchObject({ dpd: 0, bucket: 'NPA' });
  });

  it('counts a fully paid installment as paid, and one paisa short as overdue', async () => {
    expect(await standingOf(database, paid)).toMatchObject({ dpd: 0, bucket: 'CURRENT' });
    expect(await standingOf(database, partPaid)).toMatchObject({ dpd: 20, bucket: 'SMA-0' });
  });

  it('leaves loans that are not live alone', async () => {
    expect(await standingOf(database, closed)).toMatchObject({ status: 'WRITTEN_OFF', dpd: 39, dpd_as_of: dayBefore });
  });
});
