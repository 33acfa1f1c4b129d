import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, addDays, addMonths, businessToday, daysBetween } from '@loanops/domain';
import { acceptPayment, postPayment } from '@loanops/payments';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';

let database: TestDatabase;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `POST${String((utrSeq += 1)).padStart(10, '0')}`;
const context = () => ({ bucketTable: DEFAULT_BUCKET_TABLE, now: new Date(), actorId: 'test-worker' });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function accept(loanId: number, amountPaise: number, utr = nextUtr()) {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: today, mode: 'UPI' },
    { receivedBy: 'finance:test', requestId: 'req-test', now: new Date() },
  );
  return intakeId;
}

async function loanRow(id: number) {
  return database.db.selectFrom('loans').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function installments(loanId: number) {
  return database.db.selectFrom('installments').selectAll().where('loan_id', '=', loanId).orderBy('seq').execute();
}

describe('postPayment', () => {
  it('allocates oldest installment first, interest before principal, and moves balances, DPD and bucket', async () => {
    // Disbursed 3 months ago: two EMIs overdue (SMA-1 territory), nothing paid.
    const loanId = await insertLoan(database, { disbursedOn: addMonths(today, -3) });
    const before = await loanRow(loanId);
    const schedule = await installments(loanId);
    const first = schedule[0]!;
    const second = schedule[1]!;
    expect(before.dpd).toBe(daysBetween(first.due_on, today));

    // Pays the first EMI in full and the second's interest and part of its principal.
    const amount = first.principal_due_paise + first.interest_due_paise + second.interest_due_paise + 1_000;
    const intakeId = await accept(loanId, amount);
    const outcome = await postPayment(database.db, intakeId, context());
    expect(outcome).toMatchObject({ status: 'POSTED', alreadyDone: false });

    const after = await installments(loanId);
    expect(after[0]).toMatchObject({ principal_paid_paise: first.principal_due_paise, interest_paid_paise: first.interest_due_paise, paid_on: today });
    expect(after[1]).toMatchObject({ interest_paid_paise: second.interest_due_paise, principal_paid_paise: 1_000, paid_on: null });
    expect(after[2]).toMatchObject({ interest_paid_paise: 0, principal_paid_paise: 0 });

    const loan = await loanRow(loanId);
    expect(loan.total_outstanding_paise).toBe(before.total_outstanding_paise - amount);
    expect(loan.principal_outstanding_paise).toBe(before.principal_outstanding_paise - first.principal_due_paise - 1_000);
    expect(loan.dpd).toBe(daysBetween(second.due_on, today));
    expect(loan.dpd_as_of).toBe(today);

    const payment = await database.db.selectFrom('payments').selectAll().where('intake_id', '=', intakeId).executeTakeFirstOrThrow();
    const parts = await database.db.selectFrom('payment_allocations').selectAll().where('payment_id', '=', payment.id).orderBy('id').execute();
    expect(parts.map((p) => [p.component, p.installment_id, p.amount_paise])).toEqual([
      ['INTEREST', first.id, first.interest_due_paise],
      ['PRINCIPAL', first.id, first.principal_due_paise],
      ['INTEREST', second.id, second.interest_due_paise],
      ['PRINCIPAL', second.id, 1_000],
    ]);
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'PAYMENT_POSTED').where('entity_id', '=', String(loanId)).executeTakeFirstOrThrow();
    expect(audit.before).toMatchObject({ dpd: before.dpd, bucket: before.bucket });
    expect(audit.after).toMatchObject({ dpd: loan.dpd, bucket: loan.bucket });
    expect(audit.request_id).toBe('req-test');
    const intake = await database.db.selectFrom('payment_intake').selectAll().where('id', '=', intakeId).executeTakeFirstOrThrow();
    expect(intake).toMatchObject({ status: 'POSTED', payment_id: payment.id });
  });

  it('writes a bucket-history row when a payment cures the loan', async () => {
    const loanId = await insertLoan(database, { disbursedOn: addMonths(today, -2) });
    const before = await loanRow(loanId);
    expect(before.bucket).not.toBe('CURRENT');
    const overdue = (await installments(loanId)).filter((i) => i.due_on < today);
    const arrears = overdue.reduce((sum, i) => sum + i.principal_due_paise + i.interest_due_paise, 0);
    await postPayment(database.db, await accept(loanId, arrears), context());
    const loan = await loanRow(loanId);
    expect(loan).toMatchObject({ dpd: 0, bucket: 'CURRENT' });
    const history = await database.db.selectFrom('bucket_history').selectAll().where('loan_id', '=', loanId).where('cause', '=', 'PAYMENT').execute();
    expect(history).toMatchObject([{ from_bucket: before.bucket, to_bucket: 'CURRENT', dpd: 0, business_date: today }]);
    expect(history[0]?.payment_id).not.toBeNull();
  });

  it('closes a loan when nothing is left', async () => {
    const loanId = await insertLoan(database, { principalPaise: 100_000, tenureMonths: 1, disbursedOn: addDays(today, -3) });
    const loan = await loanRow(loanId);
    await postPayment(database.db, await accept(loanId, loan.total_outstanding_paise), context());
    const closed = await loanRow(loanId);
    expect(closed).toMatchObject({ status: 'CLOSED', total_outstanding_paise: 0, dpd: 0 });
    expect(closed.closed_at).not.toBeNull();
  });

  it('is idempotent: posting the same intake again changes nothing', async () => {
    const loanId = await insertLoan(database);
    const intakeId = await accept(loanId, 25_000);
    const first = await postPayment(database.db, intakeId, context());
    const snapshot = await loanRow(loanId);
    const second = await postPayment(database.db, intakeId, context());
    expect(second).toEqual({ ...first, alreadyDone: true });
    expect(await loanRow(loanId)).toEqual(snapshot);
    const payments = await database.db.selectFrom('payments').select('id').where('intake_id', '=', intakeId).execute();
    expect(payments).toHaveLength(1);
  });

  it('rejects at posting what became wrong after intake (overpayment, closed loan) and records the code', async () => {
    const loanId = await insertLoan(database, { principalPaise: 100_000, tenureMonths: 1, disbursedOn: addDays(today, -3) });
    const total = (await loanRow(loanId)).total_outstanding_paise;
    const a = await accept(loanId, total - 100);
    const b = await accept(loanId, 200);
    expect(await postPayment(database.db, a, context())).toMatchObject({ status: 'POSTED' });
    expect(await postPayment(database.db, b, context())).toMatchObject({ status: 'REJECTED', code: 'OVERPAYMENT' });
    const c = await accept(loanId, 100);
    expect(await postPayment(database.db, c, context())).toMatchObject({ status: 'POSTED' });
    const d = await acceptPayment(
      database.db,
      { utr: nextUtr(), loanId: await insertLoan(database), amountPaise: 500, valueDate: today, mode: 'UPI' },
      { receivedBy: 'x', requestId: null, now: new Date() },
    );
    await sql`UPDATE loans SET status = 'WRITTEN_OFF' WHERE id = (SELECT loan_id FROM payment_intake WHERE id = ${d.intakeId}::uuid)`.execute(database.db);
    expect(await postPayment(database.db, d.intakeId, context())).toMatchObject({ status: 'REJECTED', code: 'LOAN_NOT_PAYABLE' });
    const rejected = await database.db.selectFrom('payment_intake').selectAll().where('id', 'in', [b, d.intakeId]).execute();
    expect(rejected.map((r) => r.reject_code).sort()).toEqual(['LOAN_NOT_PAYABLE', 'OVERPAYMENT']);
    const audit = await database.db.selectFrom('audit_log').select('action').where('action', '=', 'PAYMENT_REJECTED').execute();
    expect(audit).toHaveLength(2);
  });

  it('lets a payment rejected for a fixable reason be sent again with the same UTR', async () => {
    const wrongLoan = await insertLoan(database);
    const rightLoan = await insertLoan(database);
    const utr = nextUtr();
    const first = await accept(wrongLoan, 5_000, utr);
    await sql`UPDATE loans SET status = 'WRITTEN_OFF' WHERE id = ${wrongLoan}`.execute(database.db);
    expect(await postPayment(database.db, first, context())).toMatchObject({ status: 'REJECTED', code: 'LOAN_NOT_PAYABLE' });
    const second = await accept(rightLoan, 5_000, utr);
    expect(await postPayment(database.db, second, context())).toMatchObject({ status: 'POSTED' });
    await expect(accept(rightLoan, 5_000, utr)).rejects.toMatchObject({ code: 'DUPLICATE_UTR' });
  });

  it('pays loan-level charges first', async () => {
    const loanId = await insertLoan(database, { disbursedOn: addMonths(today, -2) });
    const charge = await database.db
      .insertInto('loan_charges')
      .values({ loan_id: loanId, kind: 'BOUNCE', levied_on: addDays(today, -3), amount_paise: 59_000 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`UPDATE loans SET charges_outstanding_paise = 59000 WHERE id = ${loanId}`.execute(database.db);
    const first = (await installments(loanId))[0]!;
    const intakeId = await accept(loanId, 60_000);
    await postPayment(database.db, intakeId, context());
    const payment = await database.db.selectFrom('payments').select('id').where('intake_id', '=', intakeId).executeTakeFirstOrThrow();
    const parts = await database.db.selectFrom('payment_allocations').selectAll().where('payment_id', '=', payment.id).orderBy('id').execute();
    expect(parts.map((p) => [p.component, p.charge_id ?? p.installment_id, p.amount_paise])).toEqual([
      ['CHARGE', charge.id, 59_000],
      ['INTEREST', first.id, 1_000],
    ]);
    const paidCharge = await database.db.selectFrom('loan_charges').selectAll().where('id', '=', charge.id).executeTakeFirstOrThrow();
    expect(paidCharge.paid_paise).toBe(59_000);
    expect((await loanRow(loanId)).charges_outstanding_paise).toBe(0);
  });

  it('lifts a borrower out of NPA on every loan when the last arrears are paid', async () => {
    const borrower = { name: 'Npa Borrower', phone: '+919811100000', language: 'en' as const, customerRef: 'NPA-PAY-1' };
    const healthy = await insertLoan(database, { borrower });
    const overdue = await insertLoan(database, { borrower, disbursedOn: addMonths(today, -5) });
    expect((await loanRow(healthy)).bucket).toBe('NPA');
    expect((await loanRow(overdue)).bucket).toBe('NPA');
    const arrears = (await installments(overdue)).filter((i) => i.due_on < today).reduce((s, i) => s + i.outstanding_paise, 0);
    const intakeId = await accept(overdue, arrears);
    await postPayment(database.db, intakeId, context());
    expect(await loanRow(overdue)).toMatchObject({ dpd: 0, bucket: 'CURRENT' });
    expect(await loanRow(healthy)).toMatchObject({ dpd: 0, bucket: 'CURRENT' });
    const moves = await database.db
      .selectFrom('bucket_history')
      .select(['loan_id', 'from_bucket', 'to_bucket', 'cause'])
      .where('loan_id', 'in', [healthy, overdue])
      .where('cause', '=', 'PAYMENT')
      .orderBy('loan_id')
      .execute();
    expect(moves).toEqual([
      { loan_id: healthy, from_bucket: 'NPA', to_bucket: 'CURRENT', cause: 'PAYMENT' },
      { loan_id: overdue, from_bucket: 'NPA', to_bucket: 'CURRENT', cause: 'PAYMENT' },
    ]);
    const reclassified = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'LOAN_RECLASSIFIED')
      .where('entity_id', '=', String(healthy))
      .where('actor_id', '=', 'test-worker')
      .execute();
    expect(reclassified).toHaveLength(1);
  });

  it('keeps the borrower NPA while a partly paid loan still has arrears', async () => {
    const borrower = { name: 'Npa Partial', phone: '+919811100001', language: 'en' as const, customerRef: 'NPA-PAY-2' };
    // First EMI 100 days overdue (NPA); once it is paid the second, about 70 days overdue, leads.
    const overdue = await insertLoan(database, {
      borrower,
      disbursedOn: addDays(today, -130),
      firstDueOn: addDays(today, -100),
    });
    expect((await loanRow(overdue)).bucket).toBe('NPA');
    const first = (await installments(overdue))[0]!;
    await postPayment(database.db, await accept(overdue, first.outstanding_paise), context());
    const loan = await loanRow(overdue);
    expect(loan.dpd).toBeGreaterThan(0);
    expect(loan.dpd).toBeLessThan(91);
    expect(loan.bucket).toBe('NPA');
  });

  it('turns a UTR already posted under another intake into REJECTED DUPLICATE_UTR, not a retry', async () => {
    const loanId = await insertLoan(database);
    const utr = nextUtr();
    const live = await accept(loanId, 1_000, utr);
    // Planted as superuser: a posted payment with the same UTR behind an old rejected intake.
    const old = await sql<{ id: string }>`
      INSERT INTO payment_intake (utr, loan_id, amount_paise, value_date, mode, status, reject_code, received_by, processed_at)
      VALUES (${utr}, ${loanId}, 1000, ${today}::date, 'UPI', 'REJECTED', 'LOAN_NOT_PAYABLE', 'test', now()) RETURNING id`.execute(database.db);
    await sql`
      INSERT INTO payments (intake_id, utr, loan_id, amount_paise, value_date, mode, posted_on)
      VALUES (${old.rows[0]!.id}::uuid, ${utr}, ${loanId}, 1000, ${today}::date, 'UPI', ${today}::date)`.execute(database.db);
    const before = await loanRow(loanId);
    expect(await postPayment(database.db, live, context())).toMatchObject({ status: 'REJECTED', code: 'DUPLICATE_UTR' });
    expect(await loanRow(loanId)).toEqual(before);
  });

  it('keeps exact balances under 50 concurrent payments on one loan', async () => {
    const loanId = await insertLoan(database, { principalPaise: 5_000_000, disbursedOn: addMonths(today, -5) });
    const before = await loanRow(loanId);
    const amounts = Array.from({ length: 50 }, (_, i) => 1_000 + i * 37);
    const intakes = await Promise.all(amounts.map((amount) => accept(loanId, amount)));
    const outcomes = await Promise.all(
      intakes.map(async (intakeId) => {
        for (;;) {
          try {
            return await postPayment(database.db, intakeId, context());
          } catch (error) {
            if ((error as { code?: string }).code === '40P01') continue;
            throw error;
          }
        }
      }),
    );
    expect(outcomes.every((o) => o.status === 'POSTED')).toBe(true);
    const paid = amounts.reduce((a, b) => a + b, 0);
    const loan = await loanRow(loanId);
    expect(loan.total_outstanding_paise).toBe(before.total_outstanding_paise - paid);
    const sums = await sql<{ paid: number; outstanding: number; allocated: number }>`
      SELECT (SELECT sum(principal_paid_paise + interest_paid_paise)::bigint FROM installments WHERE loan_id = ${loanId}) AS paid,
             (SELECT sum(outstanding_paise)::bigint FROM installments WHERE loan_id = ${loanId}) AS outstanding,
             (SELECT sum(a.amount_paise)::bigint FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE p.loan_id = ${loanId}) AS allocated`.execute(database.db);
    expect(sums.rows[0]).toEqual({ paid, outstanding: loan.total_outstanding_paise, allocated: paid });
  });
});
