import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, type BusinessDate } from '@loanops/domain';
import { INTEGRITY_CHECKS, runChecks, runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { createTestDatabase, tamperWith, type TestDatabase } from '../support/db.js';
import { insertLoan, payLoan } from '../support/fixtures.js';

/**
 * The bucket check under RBI's sticky, borrower-wide NPA rule: whether a borrower was already NPA
 * comes from the bucket history, not from the bucket being checked. Two borrowers, the book as of
 * 2026-03-01: one never NPA (loans at DPD 40 and 10), one NPA at onboarding (DPD 101) and paid
 * down to DPD 40 and 10, which keeps it NPA until all arrears are paid, and one NPA by a loan at
 * DPD 101 whose other loan, nothing overdue, is NPA with it.
 */
const TODAY = '2026-03-01';
let database: TestDatabase;
const ids = { plain40: 0, plain10: 0, sticky40: 0, sticky10: 0, npa101: 0, npaNothingDue: 0 };

function loanWithDues(dues: BusinessDate[], customerRef: string): Promise<number> {
  return insertLoan(
    database,
    {
      principalPaise: 100_000 * dues.length,
      tenureMonths: dues.length,
      disbursedOn: '2025-10-20',
      installments: dues.map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 })),
      borrower: { name: 'Test Borrower', phone: '+919876500000', language: 'en', customerRef },
    },
    TODAY,
  );
}

async function check() {
  return runIntegrityCheck(database.db, { trigger: 'MANUAL', actor: { type: 'system', id: 'test' }, bucketTable: DEFAULT_BUCKET_TABLE });
}

function only(expected: Partial<Record<IntegrityCheck, number>>): Record<IntegrityCheck, number> {
  return Object.fromEntries(INTEGRITY_CHECKS.map((name) => [name, expected[name] ?? 0])) as Record<IntegrityCheck, number>;
}

async function standing(loanId: number) {
  return database.db.selectFrom('loans').select(['dpd', 'bucket']).where('id', '=', loanId).executeTakeFirstOrThrow();
}

beforeAll(async () => {
  database = await createTestDatabase();
  ids.plain40 = await loanWithDues(['2026-01-20', '2026-04-20'], 'STICKYNPA-PLAIN');
  ids.plain10 = await loanWithDues(['2026-02-19', '2026-05-19'], 'STICKYNPA-PLAIN');
  ids.sticky40 = await loanWithDues(['2025-11-20', '2026-01-20', '2026-04-20'], 'STICKYNPA-NPA');
  ids.sticky10 = await loanWithDues(['2026-02-19', '2026-05-19'], 'STICKYNPA-NPA');
  // The installment of 2025-11-20, paid in full: the oldest arrears are now those of 2026-01-20.
  await payLoan(database, ids.sticky40, 110_000, TODAY, 'UTRSTICKYNPA001');
  ids.npa101 = await loanWithDues(['2025-11-20', '2026-04-20'], 'STICKYNPA-WIDE');
  ids.npaNothingDue = await loanWithDues(['2026-04-20'], 'STICKYNPA-WIDE');
});
afterAll(async () => {
  await database.drop();
});

describe('the integrity check and sticky NPA', () => {
  it('reports the untouched book clean, a borrower kept NPA by its remaining arrears included', async () => {
    expect(await standing(ids.plain40)).toEqual({ dpd: 40, bucket: 'SMA-1' });
    expect(await standing(ids.plain10)).toEqual({ dpd: 10, bucket: 'SMA-0' });
    expect(await standing(ids.sticky40)).toEqual({ dpd: 40, bucket: 'NPA' });
    expect(await standing(ids.sticky10)).toEqual({ dpd: 10, bucket: 'NPA' });
    const { run, findings } = await check();
    expect(findings).toEqual([]);
    expect(run).toMatchObject({ status: 'CLEAN', findingsTotal: 0, checks: only({}) });
  });

  it('flags an NPA planted on a loan whose borrower was never NPA, on that loan and not on its sibling', async () => {
    await tamperWith(database, `UPDATE loans SET bucket = 'NPA' WHERE id = ${ids.plain40}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ LOAN_BUCKET: 1 }));
    expect(findings).toEqual([
      expect.objectContaining({ check: 'LOAN_BUCKET', table: 'loans', rowId: String(ids.plain40), expected: 'SMA-1', actual: 'NPA' }),
    ]);
    await tamperWith(database, `UPDATE loans SET bucket = 'SMA-1' WHERE id = ${ids.plain40}`);
  });

  it('flags a borrower lifted out of NPA while arrears remain', async () => {
    await tamperWith(
      database,
      `UPDATE loans SET bucket = 'SMA-1' WHERE id = ${ids.sticky40}`,
      `UPDATE loans SET bucket = 'SMA-0' WHERE id = ${ids.sticky10}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ LOAN_BUCKET: 2 }));
    expect(findings).toEqual([
      expect.objectContaining({ check: 'LOAN_BUCKET', rowId: String(ids.sticky40), expected: 'NPA', actual: 'SMA-1' }),
      expect.objectContaining({ check: 'LOAN_BUCKET', rowId: String(ids.sticky10), expected: 'NPA', actual: 'SMA-0' }),
    ]);
    await tamperWith(database, `UPDATE loans SET bucket = 'NPA' WHERE id IN (${ids.sticky40}, ${ids.sticky10})`);
    expect((await check()).run.status).toBe('CLEAN');
  });

  it('judges a borrower on all its loans, however the walk over the book splits them', async () => {
    expect(await standing(ids.npa101)).toEqual({ dpd: 101, bucket: 'NPA' });
    expect(await standing(ids.npaNothingDue)).toEqual({ dpd: 0, bucket: 'NPA' });
    const walk = (standingFetchRows: number) => runChecks({ db: database.db, bucketTable: DEFAULT_BUCKET_TABLE, limit: 10, standingFetchRows });
    // Six live loans of three borrowers: fetched fewer at a time, a borrower's loans come in different fetches.
    for (const rows of [1, 2, 3, 4, 5, 6]) {
      const results = await walk(rows);
      expect({ rows, dpd: results.LOAN_DPD, bucket: results.LOAN_BUCKET }).toEqual({
        rows,
        dpd: { count: 0, findings: [] },
        bucket: { count: 0, findings: [] },
      });
    }
    await tamperWith(database, `UPDATE loans SET bucket = 'CURRENT' WHERE id = ${ids.npaNothingDue}`);
    for (const rows of [1, 5]) {
      const results = await walk(rows);
      expect(results.LOAN_BUCKET.findings).toEqual([
        expect.objectContaining({ rowId: String(ids.npaNothingDue), expected: 'NPA', actual: 'CURRENT' }),
      ]);
    }
    await tamperWith(database, `UPDATE loans SET bucket = 'NPA' WHERE id = ${ids.npaNothingDue}`);
  });
});
