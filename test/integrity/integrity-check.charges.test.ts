import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { INTEGRITY_CHECKS, runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { createLoan } from '@loanops/loan-book';
import { reversePayment } from '@loanops/payments';
import { createTestDatabase, tamperWith, type TestDatabase } from '../support/db.js';
import { insertLoan, istNoon, payLoan } from '../support/fixtures.js';

/**
 * The check of what charges say was paid against the allocations of posted payments. The book, as
 * of 2026-03-01: a charge paid by a payment; a charge whose payment was reversed (its allocations
 * stay, the payment does not count); and a charge of an imported loan, part of it paid before this
 * system (no payment here), the rest by a payment.
 */
const TODAY = '2026-03-01';
let database: TestDatabase;
const charges = { paid: 0, reversed: 0, imported: 0 };
const loans = { paid: 0, reversed: 0, imported: 0 };

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

/** A charge levied on the loan (and counted in its outstanding), `paidPaise` of it paid before this system. */
async function levy(loanId: number, amountPaise: number, paidPaise = 0): Promise<number> {
  const charge = await database.db
    .insertInto('loan_charges')
    .values({ loan_id: loanId, kind: 'BOUNCE', levied_on: '2026-02-25', amount_paise: amountPaise, paid_paise: paidPaise })
    .returning('id')
    .executeTakeFirstOrThrow();
  await database.db
    .updateTable('loans')
    .set((eb) => ({ charges_outstanding_paise: eb('charges_outstanding_paise', '+', amountPaise - paidPaise) }))
    .where('id', '=', loanId)
    .execute();
  return Number(charge.id);
}

async function check() {
  return runIntegrityCheck(database.db, { trigger: 'MANUAL', actor: { type: 'system', id: 'test' }, bucketTable: DEFAULT_BUCKET_TABLE });
}

function only(expected: Partial<Record<IntegrityCheck, number>>): Record<IntegrityCheck, number> {
  return Object.fromEntries(INTEGRITY_CHECKS.map((name) => [name, expected[name] ?? 0])) as Record<IntegrityCheck, number>;
}

beforeAll(async () => {
  database = await createTestDatabase();
  loans.paid = await insertLoan(database, newLoan, TODAY);
  charges.paid = await levy(loans.paid, 59_000);
  await payLoan(database, loans.paid, 80_000, TODAY, 'UTRCHARGECHECK01');

  loans.reversed = await insertLoan(database, newLoan, TODAY);
  charges.reversed = await levy(loans.reversed, 20_000);
  const bounced = await payLoan(database, loans.reversed, 20_000, TODAY, 'UTRCHARGECHECK02');
  await reversePayment(database.db, bounced, {
    now: istNoon(TODAY),
    bucketTable: DEFAULT_BUCKET_TABLE,
    actor: { type: 'user', id: 'finance-1', role: 'finance' },
    reason: 'cheque bounced',
    requestId: null,
  });

  const imported = await createLoan(
    database.db,
    { ...newLoan, loanNumber: `IMP${process.pid}-CHARGE`, borrower: { name: 'Imported Borrower', phone: '+919876500001', language: 'en' } },
    { actor: { type: 'system', id: 'test' }, today: TODAY, bucketTable: DEFAULT_BUCKET_TABLE, source: 'IMPORT' },
  );
  loans.imported = imported.id;
  charges.imported = await levy(loans.imported, 10_000, 4_000);
  await payLoan(database, loans.imported, 6_000, TODAY, 'UTRCHARGECHECK03');
});
afterAll(async () => {
  await database.drop();
});

describe('the integrity check of charges paid', () => {
  it('reports the untouched book clean', async () => {
    const paid = await database.db.selectFrom('loan_charges').select(['id', 'paid_paise']).orderBy('id').execute();
    expect(paid).toEqual([
      { id: charges.paid, paid_paise: 59_000 },
      { id: charges.reversed, paid_paise: 0 },
      { id: charges.imported, paid_paise: 10_000 },
    ]);
    const { run, findings } = await check();
    expect(findings).toEqual([]);
    expect(run).toMatchObject({ status: 'CLEAN', findingsTotal: 0, checks: only({}) });
  });

  it("flags a charge whose paid amount was altered, even with the loan's outstanding altered to match", async () => {
    await tamperWith(
      database,
      `UPDATE loan_charges SET paid_paise = paid_paise - 500 WHERE id = ${charges.paid}`,
      `UPDATE loans SET charges_outstanding_paise = charges_outstanding_paise + 500 WHERE id = ${loans.paid}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ CHARGE_PAID_MATCHES_ALLOCATIONS: 1 }));
    expect(findings).toEqual([
      expect.objectContaining({
        check: 'CHARGE_PAID_MATCHES_ALLOCATIONS',
        table: 'loan_charges',
        rowId: String(charges.paid),
        expected: '59000',
        actual: '58500',
      }),
    ]);
    await tamperWith(
      database,
      `UPDATE loan_charges SET paid_paise = paid_paise + 500 WHERE id = ${charges.paid}`,
      `UPDATE loans SET charges_outstanding_paise = charges_outstanding_paise - 500 WHERE id = ${loans.paid}`,
    );
  });

  it('counts a reversed payment for nothing, and on an imported loan flags only paid below the allocations', async () => {
    await tamperWith(
      database,
      // Paid as if the reversal had not taken the charge back.
      `UPDATE loan_charges SET paid_paise = 20000 WHERE id = ${charges.reversed}`,
      `UPDATE loans SET charges_outstanding_paise = 0 WHERE id = ${loans.reversed}`,
      // Below the 6,000 paise its payment allocated.
      `UPDATE loan_charges SET paid_paise = 5000 WHERE id = ${charges.imported}`,
      `UPDATE loans SET charges_outstanding_paise = 5000 WHERE id = ${loans.imported}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ CHARGE_PAID_MATCHES_ALLOCATIONS: 2 }));
    expect(findings).toEqual([
      expect.objectContaining({ rowId: String(charges.reversed), expected: '0', actual: '20000' }),
      expect.objectContaining({ rowId: String(charges.imported), expected: '6000', actual: '5000' }),
    ]);
    await tamperWith(
      database,
      `UPDATE loan_charges SET paid_paise = 0 WHERE id = ${charges.reversed}`,
      `UPDATE loans SET charges_outstanding_paise = 20000 WHERE id = ${loans.reversed}`,
      `UPDATE loan_charges SET paid_paise = 10000 WHERE id = ${charges.imported}`,
      `UPDATE loans SET charges_outstanding_paise = 0 WHERE id = ${loans.imported}`,
    );
    expect((await check()).run.status).toBe('CLEAN');
  });
});
