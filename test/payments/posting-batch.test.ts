import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, addDays, addMonths, businessToday } from '@loanops/domain';
import { acceptPayment, postPayment, postPayments } from '@loanops/payments';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';

/** Payments posted together in one transaction come out as if posted one by one, in order. */
let database: TestDatabase;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `BATCH${String((utrSeq += 1)).padStart(10, '0')}`;
const context = () => ({ bucketTable: DEFAULT_BUCKET_TABLE, now: new Date(), actorId: 'batch-test' });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function accept(loanId: number, amountPaise: number, utr = nextUtr()): Promise<string> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: today, mode: 'NEFT' },
    { receivedBy: 'finance:test', requestId: null, now: new Date() },
  );
  return intakeId;
}

async function state(loanId: number) {
  const loan = await database.db
    .selectFrom('loans')
    .select(['status', 'dpd', 'bucket', 'principal_outstanding_paise', 'interest_outstanding_paise', 'total_outstanding_paise'])
    .where('id', '=', loanId)
    .executeTakeFirstOrThrow();
  const installments = await database.db
    .selectFrom('installments')
    .select(['seq', 'principal_paid_paise', 'interest_paid_paise', 'paid_on'])
    .where('loan_id', '=', loanId)
    .orderBy('seq')
    .execute();
  const allocations = await sql<{ component: string; seq: number; amount: number }>`
    SELECT a.component, i.seq, a.amount_paise AS amount
    FROM payment_allocations a JOIN payments p ON p.id = a.payment_id JOIN installments i ON i.id = a.installment_id
    WHERE p.loan_id = ${loanId} ORDER BY a.id`.execute(database.db);
  const history = await database.db
    .selectFrom('bucket_history')
    .select(['from_bucket', 'to_bucket', 'cause', 'dpd'])
    .where('loan_id', '=', loanId)
    .orderBy('id')
    .execute();
  return { loan, installments, allocations: allocations.rows, history };
}

describe('postPayments', () => {
  it('posts several payments on one loan in one batch exactly as one by one', async () => {
    const terms = { disbursedOn: addMonths(today, -4), principalPaise: 3_000_000 };
    const batched = await insertLoan(database, terms);
    const single = await insertLoan(database, terms);
    const amounts = [120_000, 5_000, 260_000, 100];
    const intakes = [];
    for (const amount of amounts) intakes.push(await accept(batched, amount));
    const outcomes = await postPayments(database.db, intakes, context());
    expect([...outcomes.values()].map((o) => o.status)).toEqual(['POSTED', 'POSTED', 'POSTED', 'POSTED']);
    for (const amount of amounts) await postPayment(database.db, await accept(single, amount), context());
    expect(await state(batched)).toEqual(await state(single));
  });

  it('rejects a payment that the earlier ones in its batch made an overpayment, and posts the rest', async () => {
    const loanId = await insertLoan(database, { principalPaise: 100_000, tenureMonths: 1, disbursedOn: addDays(today, -3) });
    const total = (await state(loanId)).loan.total_outstanding_paise;
    const a = await accept(loanId, total - 500);
    const b = await accept(loanId, 600);
    const c = await accept(loanId, 500);
    const outcomes = await postPayments(database.db, [a, b, c], context());
    expect(outcomes.get(a)).toMatchObject({ status: 'POSTED' });
    expect(outcomes.get(b)).toMatchObject({ status: 'REJECTED', code: 'OVERPAYMENT' });
    expect(outcomes.get(c)).toMatchObject({ status: 'POSTED' });
    expect((await state(loanId)).loan).toMatchObject({ status: 'CLOSED', total_outstanding_paise: 0 });
  });

  it('moves a whole borrower out of NPA in a batch that also posts to another borrower', async () => {
    const borrower = { name: 'Batch Npa', phone: '+919822200000', language: 'en' as const, customerRef: 'BATCH-NPA-1' };
    const healthy = await insertLoan(database, { borrower });
    const overdue = await insertLoan(database, { borrower, disbursedOn: addMonths(today, -5) });
    const other = await insertLoan(database);
    const arrears = await sql<{ n: number }>`
      SELECT sum(outstanding_paise)::bigint AS n FROM installments WHERE loan_id = ${overdue} AND due_on < ${today}::date`.execute(database.db);
    const outcomes = await postPayments(
      database.db,
      [await accept(other, 1_000), await accept(overdue, Number(arrears.rows[0]?.n)), await accept(healthy, 500)],
      context(),
    );
    expect([...outcomes.values()].every((o) => o.status === 'POSTED')).toBe(true);
    expect((await state(healthy)).loan.bucket).toBe('CURRENT');
    expect((await state(overdue)).loan).toMatchObject({ bucket: 'CURRENT', dpd: 0 });
    expect((await state(healthy)).history.at(-1)).toMatchObject({ from_bucket: 'NPA', to_bucket: 'CURRENT', cause: 'PAYMENT' });
  });

  it('leaves intakes already processed as they are', async () => {
    const loanId = await insertLoan(database);
    const done = await accept(loanId, 1_000);
    const first = await postPayment(database.db, done, context());
    const fresh = await accept(loanId, 2_000);
    const outcomes = await postPayments(database.db, [done, fresh], context());
    expect(outcomes.get(done)).toEqual({ ...first, alreadyDone: true });
    expect(outcomes.get(fresh)).toMatchObject({ status: 'POSTED', alreadyDone: false });
    const payments = await database.db.selectFrom('payments').select('id').where('loan_id', '=', loanId).execute();
    expect(payments).toHaveLength(2);
  });

  it('re-runs a batch one payment at a time when a UTR in it turns out to be taken', async () => {
    const loanId = await insertLoan(database);
    const utr = nextUtr();
    const good = await accept(loanId, 1_500);
    const clash = await accept(loanId, 1_000, utr);
    const alsoGood = await accept(loanId, 700);
    // Planted as superuser: a payment with the same UTR behind an old rejected intake.
    const old = await sql<{ id: string }>`
      INSERT INTO payment_intake (utr, loan_id, amount_paise, value_date, mode, status, reject_code, received_by, processed_at)
      VALUES (${utr}, ${loanId}, 1000, ${today}::date, 'UPI', 'REJECTED', 'LOAN_NOT_PAYABLE', 'test', now()) RETURNING id`.execute(database.db);
    await sql`
      INSERT INTO payments (intake_id, utr, loan_id, amount_paise, value_date, mode, posted_on)
      VALUES (${old.rows[0]!.id}::uuid, ${utr}, ${loanId}, 1000, ${today}::date, 'UPI', ${today}::date)`.execute(database.db);
    const outcomes = await postPayments(database.db, [good, clash, alsoGood], context());
    expect(outcomes.get(good)).toMatchObject({ status: 'POSTED' });
    expect(outcomes.get(clash)).toMatchObject({ status: 'REJECTED', code: 'DUPLICATE_UTR' });
    expect(outcomes.get(alsoGood)).toMatchObject({ status: 'POSTED' });
    const paid = await sql<{ n: number }>`
      SELECT sum(principal_paid_paise + interest_paid_paise)::bigint AS n FROM installments WHERE loan_id = ${loanId}`.execute(database.db);
    expect(Number(paid.rows[0]?.n)).toBe(2_200);
  });
});
