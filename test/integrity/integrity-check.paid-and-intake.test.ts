import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { INTEGRITY_CHECKS, runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { createLoan } from '@loanops/loan-book';
import { createTestDatabase, tamperWith, type TestDatabase } from '../support/db.js';
import { insertLoan, payLoan } from '../support/fixtures.js';

/**
 * What installments say was paid against the allocations of posted payments, and payments against
 * their intakes. The book, as of 2026-03-01, every installment due later (nothing overdue): a loan
 * made here and paid past its first installment; one made here and not paid; and an imported loan
 * with a repayment made before this system (no payment here) and one paid here.
 */
const TODAY = '2026-03-01';
let database: TestDatabase;
const loans = { paid: 0, unpaid: 0, imported: 0 };
const payments = { paid: 0, imported: 0 };

const newLoan = {
  principalPaise: 200_000,
  annualRateBps: 1_200,
  tenureMonths: 2,
  disbursedOn: '2026-02-10',
  installments: [
    { dueOn: '2026-03-15', principalPaise: 100_000, interestPaise: 10_000 },
    { dueOn: '2026-04-15', principalPaise: 100_000, interestPaise: 10_000 },
  ],
};

async function check() {
  return runIntegrityCheck(database.db, { trigger: 'MANUAL', actor: { type: 'system', id: 'test' }, bucketTable: DEFAULT_BUCKET_TABLE });
}

function only(expected: Partial<Record<IntegrityCheck, number>>): Record<IntegrityCheck, number> {
  return Object.fromEntries(INTEGRITY_CHECKS.map((name) => [name, expected[name] ?? 0])) as Record<IntegrityCheck, number>;
}

async function installment(loanId: number, seq: number) {
  return database.db.selectFrom('installments').selectAll().where('loan_id', '=', loanId).where('seq', '=', seq).executeTakeFirstOrThrow();
}

async function allocation(paymentId: number, installmentId: number, component: 'PRINCIPAL' | 'INTEREST') {
  return database.db
    .selectFrom('payment_allocations')
    .selectAll()
    .where('payment_id', '=', paymentId)
    .where('installment_id', '=', installmentId)
    .where('component', '=', component)
    .executeTakeFirstOrThrow();
}

/** Changes an allocation and its payment's amount alike, so the payment still sums. */
const shiftAllocation = (id: number, paymentId: number, byPaise: number) => [
  `UPDATE payment_allocations SET amount_paise = amount_paise + ${byPaise} WHERE id = ${id}`,
  `UPDATE payments SET amount_paise = amount_paise + ${byPaise} WHERE id = ${paymentId}`,
];

beforeAll(async () => {
  database = await createTestDatabase();
  loans.paid = await insertLoan(database, newLoan, TODAY);
  payments.paid = await payLoan(database, loans.paid, 150_000, TODAY, 'UTRPAIDCHECK0001');
  loans.unpaid = await insertLoan(database, newLoan, TODAY);
  const imported = await createLoan(
    database.db,
    {
      ...newLoan,
      loanNumber: `IMP${process.pid}-PAID`,
      borrower: { name: 'Imported Borrower', phone: '+919876500001', language: 'en' },
      paidToDatePaise: 50_000,
    },
    { actor: { type: 'system', id: 'test' }, today: TODAY, bucketTable: DEFAULT_BUCKET_TABLE, source: 'IMPORT' },
  );
  loans.imported = imported.id;
  payments.imported = await payLoan(database, loans.imported, 30_000, TODAY, 'UTRPAIDCHECK0002');
});
afterAll(async () => {
  await database.drop();
});

describe('the integrity check of installments paid and of intakes', () => {
  it('reports the untouched book clean, the repayment made before this system included', async () => {
    const first = await installment(loans.imported, 1);
    const allocated = await database.db
      .selectFrom('payment_allocations')
      .select((eb) => eb.fn.sum<string>('amount_paise').as('paise'))
      .where('installment_id', '=', first.id)
      .executeTakeFirstOrThrow();
    expect(first.principal_paid_paise + first.interest_paid_paise).toBe(80_000);
    expect(Number(allocated.paise)).toBe(30_000);
    const { run, findings } = await check();
    expect(findings).toEqual([]);
    expect(run).toMatchObject({ status: 'CLEAN', findingsTotal: 0, checks: only({}) });
  });

  it('flags paid below the allocations on any loan, and paid above them only on a loan made here, each installment once', async () => {
    // Made here, paid past its first installment: the second's principal allocated 500 paise more than
    // it says was paid, and its interest 200 less (below on one component, above on the other).
    const paidSecond = await installment(loans.paid, 2);
    const paidPrincipal = await allocation(payments.paid, paidSecond.id, 'PRINCIPAL');
    const paidInterest = await allocation(payments.paid, paidSecond.id, 'INTEREST');
    // Made here and not paid, yet says 700 paise of interest paid.
    const unpaidFirst = await installment(loans.unpaid, 1);
    // Imported: its first installment's principal allocated 300 paise more than it says was paid (the
    // repayment before this system included); its second says 5,000 paise paid with nothing allocated (not wrong).
    const importedFirst = await installment(loans.imported, 1);
    const importedPrincipal = await allocation(payments.imported, importedFirst.id, 'PRINCIPAL');
    const raisePrincipalBy = importedFirst.principal_paid_paise - importedPrincipal.amount_paise + 300;
    const importedSecond = await installment(loans.imported, 2);
    expect(importedSecond.principal_paid_paise).toBe(0);
    await tamperWith(
      database,
      ...shiftAllocation(Number(paidPrincipal.id), payments.paid, 500),
      ...shiftAllocation(Number(paidInterest.id), payments.paid, -200),
      `UPDATE installments SET interest_paid_paise = 700 WHERE id = ${unpaidFirst.id}`,
      `UPDATE loans SET interest_outstanding_paise = interest_outstanding_paise - 700 WHERE id = ${loans.unpaid}`,
      ...shiftAllocation(Number(importedPrincipal.id), payments.imported, raisePrincipalBy),
      `UPDATE installments SET principal_paid_paise = 5000 WHERE id = ${importedSecond.id}`,
      `UPDATE loans SET principal_outstanding_paise = principal_outstanding_paise - 5000 WHERE id = ${loans.imported}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ PAID_MATCHES_ALLOCATIONS: 3 }));
    expect(findings).toEqual(
      [
        {
          id: paidSecond.id,
          expected: `principal ${paidPrincipal.amount_paise + 500}, interest ${paidInterest.amount_paise - 200}`,
          actual: `principal ${paidSecond.principal_paid_paise}, interest ${paidSecond.interest_paid_paise}`,
        },
        { id: unpaidFirst.id, expected: 'principal 0, interest 0', actual: 'principal 0, interest 700' },
        {
          id: importedFirst.id,
          expected: `principal ${importedFirst.principal_paid_paise + 300}, interest 0`,
          actual: `principal ${importedFirst.principal_paid_paise}, interest ${importedFirst.interest_paid_paise}`,
        },
      ]
        .sort((a, b) => a.id - b.id)
        .map(({ id, expected, actual }) =>
          expect.objectContaining({ check: 'PAID_MATCHES_ALLOCATIONS', table: 'installments', rowId: String(id), expected, actual }),
        ),
    );
    await tamperWith(
      database,
      ...shiftAllocation(Number(paidPrincipal.id), payments.paid, -500),
      ...shiftAllocation(Number(paidInterest.id), payments.paid, 200),
      `UPDATE installments SET interest_paid_paise = 0 WHERE id = ${unpaidFirst.id}`,
      `UPDATE loans SET interest_outstanding_paise = interest_outstanding_paise + 700 WHERE id = ${loans.unpaid}`,
      ...shiftAllocation(Number(importedPrincipal.id), payments.imported, -raisePrincipalBy),
      `UPDATE installments SET principal_paid_paise = 0 WHERE id = ${importedSecond.id}`,
      `UPDATE loans SET principal_outstanding_paise = principal_outstanding_paise + 5000 WHERE id = ${loans.imported}`,
    );
    expect((await check()).run.status).toBe('CLEAN');
  });

  it('flags an intake whose payment names another intake, one whose payment is gone, and both payments', async () => {
    const intakeOf = (paymentId: number) =>
      database.db.selectFrom('payment_intake').selectAll().where('payment_id', '=', paymentId).executeTakeFirstOrThrow();
    const paidIntake = await intakeOf(payments.paid);
    const importedIntake = await intakeOf(payments.imported);
    // Two rejected requests for the payments to name instead.
    const rejected = ['UTRPAIDCHECK0003', 'UTRPAIDCHECK0004'].map((utr) => ({ id: crypto.randomUUID(), utr }));
    await tamperWith(
      database,
      ...rejected.map(
        ({ id, utr }) =>
          `INSERT INTO payment_intake (id, utr, loan_id, amount_paise, value_date, mode, status, reject_code, received_by, processed_at)
           VALUES ('${id}', '${utr}', ${loans.paid}, 1000, '${TODAY}', 'NEFT', 'REJECTED', 'TEST', 'finance:test', now())`,
      ),
      `UPDATE payments SET intake_id = '${rejected[0]?.id}' WHERE id = ${payments.paid}`,
      `UPDATE payments SET intake_id = '${rejected[1]?.id}' WHERE id = ${payments.imported}`,
      `UPDATE payment_intake SET payment_id = 999999999 WHERE id = '${importedIntake.id}'`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ INTAKE_PAYMENT: 4 }));
    const intakeFinding = (id: string, actual: string) =>
      expect.objectContaining({ check: 'INTAKE_PAYMENT', table: 'payment_intake', rowId: id, expected: 'one payment with this intake', actual });
    const paymentFinding = (id: number, intakeId: string | undefined) =>
      expect.objectContaining({
        check: 'INTAKE_PAYMENT',
        table: 'payments',
        rowId: String(id),
        expected: 'a POSTED intake pointing at this payment',
        actual: `intake ${intakeId} is REJECTED with payment none`,
      });
    expect(findings).toEqual([
      ...[
        { id: paidIntake.id, finding: intakeFinding(paidIntake.id, '1 payments') },
        { id: importedIntake.id, finding: intakeFinding(importedIntake.id, 'no payment') },
      ]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map(({ finding }) => finding),
      ...[
        { id: payments.paid, finding: paymentFinding(payments.paid, rejected[0]?.id) },
        { id: payments.imported, finding: paymentFinding(payments.imported, rejected[1]?.id) },
      ]
        .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1))
        .map(({ finding }) => finding),
    ]);
    await tamperWith(
      database,
      `UPDATE payment_intake SET payment_id = ${payments.imported} WHERE id = '${importedIntake.id}'`,
      `UPDATE payments SET intake_id = '${paidIntake.id}' WHERE id = ${payments.paid}`,
      `UPDATE payments SET intake_id = '${importedIntake.id}' WHERE id = ${payments.imported}`,
    );
    expect((await check()).run.status).toBe('CLEAN');
  });
});
