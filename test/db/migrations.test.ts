import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDownToEmpty, migrateToLatest, isSchemaCurrent } from '@loanops/db';
import { PAYMENT_LIMITS } from '@loanops/domain';
import * as legalChannel from '../../migrations/0007-legal-channel.js';
import * as allocationHistory from '../../migrations/0009-allocation-history.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const TABLES = [
  'audit_chain',
  'audit_log',
  'bank_statement_lines',
  'bank_statements',
  'borrowers',
  'bucket_history',
  'collector_scores',
  'collectors',
  'dpd_run_chunks',
  'installments',
  'integrity_findings',
  'integrity_runs',
  'job_runs',
  'legal_cases',
  'loan_allocations',
  'loan_charges',
  'loan_edits',
  'loans',
  'notifications',
  'payment_allocations',
  'payment_intake',
  'payments',
  'promises',
  'queue_controls',
  'reconciliation_items',
  'users',
];

async function tables(database: TestDatabase): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' ORDER BY table_name`.execute(database.db);
  return result.rows.map((row) => row.table_name);
}

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('go up from an empty database, down to empty, and up again', async () => {
    expect(await tables(database)).toEqual([]);
    expect(await migrateToLatest(database.db)).toEqual(['applied 0001-core-schema', 'applied 0002-dpd', 'applied 0003-collections', 'applied 0005-reports', 'applied 0006-statement-references', 'applied 0007-legal-channel', 'applied 0008-utr-match-keys', 'applied 0009-allocation-history']);
    expect(await tables(database)).toEqual(TABLES);
    expect(await isSchemaCurrent(database.db)).toBe(true);
    expect(await migrateToLatest(database.db)).toEqual([]);

    expect(await migrateDownToEmpty(database.db)).toEqual(['reverted 0009-allocation-history', 'reverted 0008-utr-match-keys', 'reverted 0007-legal-channel', 'reverted 0006-statement-references', 'reverted 0005-reports', 'reverted 0003-collections', 'reverted 0002-dpd', 'reverted 0001-core-schema']);
    expect(await tables(database)).toEqual([]);
    expect(await isSchemaCurrent(database.db)).toBe(false);

    await migrateToLatest(database.db);
    expect(await tables(database)).toEqual(TABLES);
  });

  it("hold the payment limits the domain states (the database is the last guard)", async () => {
    const rows = await sql<{ def: string }>`
      SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid IN ('payments'::regclass, 'payment_intake'::regclass) AND contype = 'c'
        AND pg_get_constraintdef(oid) LIKE '%amount_paise%'`.execute(database.db);
    expect(rows.rows).toHaveLength(2);
    for (const row of rows.rows) {
      expect(row.def).toContain(`>= ${PAYMENT_LIMITS.minPaise}`);
      expect(row.def).toContain(`<= ${PAYMENT_LIMITS.maxPaise}`);
    }
  });

  it('move the legal team’s notifications still waiting to the legal channel, and leave those already sent', async () => {
    await legalChannel.down(database.db as Kysely<unknown>);
    const write = (key: string, status: 'PENDING' | 'SENT') => sql`
      INSERT INTO notifications (kind, dedupe_key, channel, recipient, status, sent_at)
      VALUES ('LEGAL_CASE_OPENED', ${key}, 'log', 'legal-team', ${status}, ${status === 'SENT' ? new Date() : null})`.execute(database.db);
    await write('legal-case:waiting:opened', 'PENDING');
    await write('legal-case:sent:opened', 'SENT');
    await legalChannel.up(database.db as Kysely<unknown>);
    const rows = await sql<{ dedupe_key: string; channel: string }>`
      SELECT dedupe_key, channel FROM notifications WHERE dedupe_key LIKE 'legal-case:%' ORDER BY dedupe_key`.execute(database.db);
    expect(rows.rows).toEqual([
      { dedupe_key: 'legal-case:sent:opened', channel: 'log' },
      { dedupe_key: 'legal-case:waiting:opened', channel: 'legal' },
    ]);
  });

  it('record each loan’s present collector as holding it since its disbursement, and loans without one not at all', async () => {
    await allocationHistory.down(database.db as Kysely<unknown>);
    await sql`
      INSERT INTO collectors (id, code, name) VALUES (9001, 'MIG-ALLOC', 'Backfill Collector');
      INSERT INTO borrowers (id, name, phone) VALUES (9001, 'Backfill Borrower', '+919876500000');
      INSERT INTO loans (id, loan_number, borrower_id, collector_id, principal_paise, annual_rate_bps, tenure_months,
                         disbursed_on, first_due_on, bucket, dpd_as_of, principal_outstanding_paise, interest_outstanding_paise)
      VALUES (9001, 'MIG-ALLOC-1', 9001, 9001, 100000, 1200, 1, '2025-06-15', '2025-07-15', 'CURRENT', '2025-06-15', 100000, 1000),
             (9002, 'MIG-ALLOC-2', 9001, NULL, 100000, 1200, 1, '2025-06-15', '2025-07-15', 'CURRENT', '2025-06-15', 100000, 1000);
    `.execute(database.db);
    await allocationHistory.up(database.db as Kysely<unknown>);
    const rows = await sql<{ loan_id: number; collector_id: number; allocated_on: string; ended_on: string | null }>`
      SELECT loan_id, collector_id, allocated_on, ended_on FROM loan_allocations WHERE loan_id IN (9001, 9002)`.execute(database.db);
    expect(rows.rows).toEqual([{ loan_id: 9001, collector_id: 9001, allocated_on: '2025-06-15', ended_on: null }]);
  });
});
