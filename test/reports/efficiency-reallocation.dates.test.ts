import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateLoans } from '@loanops/collections';
import { efficiencyCells } from '../../packages/reports/src/sql/efficiency.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan, payLoan } from '../support/fixtures.js';

/**
 * One loan held by COLA until 20 March 2026, then by COLB: each month's dues and collections
 * belong to whoever held the loan on the due date and on the payment's value date.
 */
let database: TestDatabase;
const dues = (dates: string[]) => dates.map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 }));

beforeAll(async () => {
  database = await createTestDatabase();
  const [colA, colB] = await database.db
    .insertInto('collectors')
    .values([
      { code: 'COLA', name: 'Asha' },
      { code: 'COLB', name: 'Bala' },
    ])
    .returning('id')
    .execute();
  const loanId = await insertLoan(
    database,
    { principalPaise: 200_000, tenureMonths: 2, disbursedOn: '2026-02-05', installments: dues(['2026-03-05', '2026-04-05']), collectorId: colA?.id },
    '2026-02-05',
  );
  await payLoan(database, loanId, 110_000, '2026-03-05', 'UTRMOVED00001');
  await allocateLoans(database.db, colB?.id as number, { loanIds: [loanId] }, {
    actor: { type: 'system', id: 'test' },
    requestId: null,
    today: '2026-03-20',
  });
  await payLoan(database, loanId, 110_000, '2026-04-05', 'UTRMOVED00002');
});
afterAll(async () => {
  await database.drop();
});

describe('collection efficiency of a reallocated loan', () => {
  it('counts each month for the collector who held the loan then', async () => {
    const cells = await efficiencyCells(database.db, { from: '2026-03-01', to: '2026-04-30' }, 'month-collector');
    expect(cells.map((cell) => [cell.month, cell.collectorCode, cell.demandPaise, cell.collectedPaise, cell.collectedAgainstDemandPaise])).toEqual([
      ['2026-03', 'COLA', 110_000, 110_000, 110_000],
      ['2026-04', 'COLB', 110_000, 110_000, 110_000],
    ]);
    const byCollector = await efficiencyCells(database.db, { from: '2026-03-01', to: '2026-04-30' }, 'collector');
    expect(byCollector.map((cell) => [cell.collectorCode, cell.loans, cell.demandPaise, cell.collectedPaise])).toEqual([
      ['COLA', 1, 110_000, 110_000],
      ['COLB', 1, 110_000, 110_000],
    ]);
  });
});
