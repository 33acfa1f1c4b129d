import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, businessToday } from '@loanops/domain';
import { INTEGRITY_CHECKS, runIntegrityCheck } from '@loanops/integrity';
import { seedBook } from '@loanops/loan-book';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedBook(database.pool, { loans: 1_500, seed: 5, today: businessToday(), bucketTable: DEFAULT_BUCKET_TABLE, batchLoans: 500 });
});
afterAll(async () => {
  await database.drop();
});

describe('the integrity check on a seeded book', () => {
  it('reports it clean: every bucket, loans paid ahead, closed loans, history paid before the system', async () => {
    const { run, findings } = await runIntegrityCheck(database.db, {
      trigger: 'MANUAL',
      actor: { type: 'system', id: 'test' },
      bucketTable: DEFAULT_BUCKET_TABLE,
    });
    expect(findings).toEqual([]);
    expect(run).toMatchObject({ status: 'CLEAN', findingsTotal: 0 });
    expect(Object.keys(run.checks)).toEqual([...INTEGRITY_CHECKS]);
    const buckets = await database.db.selectFrom('loans').select('bucket').distinct().execute();
    expect(buckets.length).toBeGreaterThanOrEqual(4);
  });
});
