import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateLoans, computeCollectorScores, createPromise, resolveDuePromises } from '@loanops/collections';
import { DEFAULT_BUCKET_TABLE, DEFAULT_SCORE_WEIGHTS, type BusinessDate } from '@loanops/domain';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { loanWithDues } from '../dpd/helpers.js';
import { insertCollector, ist, payOn } from './helpers.js';

/**
 * Scores of 31 March 2026 (window 2 – 31 March) for two loans that ops moved from Asha to Bharat
 * on 15 March: each collector is scored on the days they held the loans, not on who holds them now.
 */
const DAY = '2026-03-31';
const system = { type: 'system' as const, id: 'test' };
let database: TestDatabase;
let asha: number;
let bharat: number;

const allocate = (collectorId: number, loanIds: number[], today: BusinessDate) =>
  allocateLoans(database.db, collectorId, { loanIds }, { actor: { type: 'user', id: 'ops-1', role: 'ops' }, requestId: null, today });

beforeAll(async () => {
  database = await createTestDatabase();
  asha = await insertCollector(database, 'Asha');
  bharat = await insertCollector(database, 'Bharat');

  // Every installment is ₹1,000 + ₹100 = 110,000 paise.
  // L1: CURRENT throughout; pays its 5 March EMI (Asha's days) and its 20 March EMI (Bharat's).
  const l1 = await loanWithDues(database, ['2026-03-05', '2026-03-20', '2026-04-05'], '2026-03-01');
  // L2: SMA-0 on 1 March (20 February unpaid), still SMA-0 on 14 March, SMA-1 from 23 March.
  const l2 = await loanWithDues(database, ['2026-02-20', '2026-03-20', '2026-04-20'], '2026-03-01');
  await allocate(asha, [l1, l2], '2026-03-01');

  await payOn(database, l1, 110_000, '2026-03-05');
  // Asha takes a promise on 12 March for the 14th; nothing comes, and it is judged on the 15th.
  await createPromise(
    database.db,
    { loanId: l2, amountPaise: 10_000, promisedOn: '2026-03-14' },
    { actor: { type: 'user', id: String(asha), role: 'collector' }, requestId: null, today: '2026-03-12', now: ist('2026-03-12', '11:00') },
  );

  await allocate(bharat, [l1, l2], '2026-03-15');
  await resolveDuePromises(database.db, '2026-03-15', system);
  await payOn(database, l1, 110_000, '2026-03-20');
  // What the daily DPD run of 23 March writes (DPD 31).
  await database.db
    .insertInto('bucket_history')
    .values({ loan_id: l2, business_date: '2026-03-23', from_bucket: 'SMA-0', to_bucket: 'SMA-1', dpd: 31, cause: 'DPD_RUN' })
    .execute();

  await computeCollectorScores(
    database.db,
    DAY,
    { weights: DEFAULT_SCORE_WEIGHTS, bucketNames: DEFAULT_BUCKET_TABLE.map((bucket) => bucket.name) },
    system,
  );
});
afterAll(async () => {
  await database.drop();
});

describe('collector scores across a reallocation', () => {
  it('count each payment, due, promise and bucket move for the collector who held the loan that day', async () => {
    const rows = await database.db
      .selectFrom('collector_scores')
      .select([
        'collector_id',
        'collected_paise',
        'due_paise',
        'promises_resolved',
        'promises_kept',
        'loans_in_scope',
        'loans_delinquent',
        'loans_cured',
        'loans_rolled_forward',
        'score',
      ])
      .where('business_date', '=', DAY)
      .orderBy('collector_id')
      .execute();
    expect(rows).toEqual([
      {
        collector_id: asha,
        // 2 – 14 March: L1's 5 March EMI, due and paid; the promise she took, broken.
        collected_paise: 110_000,
        due_paise: 110_000,
        promises_resolved: 1,
        promises_kept: 0,
        // Both loans as she got them (1 March) and left them (14 March): L2 past due, unchanged.
        loans_in_scope: 2,
        loans_delinquent: 1,
        loans_cured: 0,
        loans_rolled_forward: 0,
        // (40·1 + 25·0 + 20·0 + 15·1) ÷ 100
        score: 55,
      },
      {
        collector_id: bharat,
        // 15 – 31 March: both 20 March EMIs due, L1's paid; L2 rolled from SMA-0 to SMA-1.
        collected_paise: 110_000,
        due_paise: 220_000,
        promises_resolved: 0,
        promises_kept: 0,
        loans_in_scope: 2,
        loans_delinquent: 1,
        loans_cured: 0,
        loans_rolled_forward: 1,
        // (40·0.5 + 20·0 + 15·0.5) ÷ 75
        score: 36.67,
      },
    ]);
  });
});
