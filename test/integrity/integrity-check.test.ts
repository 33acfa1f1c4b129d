import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { INTEGRITY_CHECKS, runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { reversePayment } from '@loanops/payments';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, tamperWith, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { sealEverything } from '../support/audit.js';
import { insertLoan, istNoon, payLoan } from '../support/fixtures.js';

/**
 * The data-integrity check over a small book (three loans, payments, one reversed): clean as the
 * application leaves it; then each kind of corruption is planted as a superuser (triggers,
 * foreign keys and, where needed, CHECK constraints off), the check names the exact rows, and the
 * corruption is undone before the next.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
const ids = { l1: 0, l2: 0, l3: 0, p1: 0, p2: 0 };
const pay = (loanId: number, amountPaise: number, on: string, utr: string) => payLoan(database, loanId, amountPaise, on, utr);

const asTamperer = (...statements: string[]) => tamperWith(database, ...statements);

async function check() {
  return runIntegrityCheck(database.db, { trigger: 'MANUAL', actor: { type: 'system', id: 'test' }, bucketTable: DEFAULT_BUCKET_TABLE });
}

function only(expected: Partial<Record<IntegrityCheck, number>>): Record<IntegrityCheck, number> {
  return Object.fromEntries(INTEGRITY_CHECKS.map((name) => [name, expected[name] ?? 0])) as Record<IntegrityCheck, number>;
}

function runVerify(databaseUrl: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'apps/cli/src/verify.ts')],
      { cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TZ: 'UTC' }, timeout: 60_000 },
      (error, stdout) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout }),
    );
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  const make = (dues: string[], ref: string) =>
    insertLoan(
      database,
      {
        principalPaise: 100_000 * dues.length,
        tenureMonths: dues.length,
        disbursedOn: '2025-12-15',
        installments: dues.map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 })),
        borrower: { name: 'Test Borrower', phone: '+919876500000', language: 'en', customerRef: ref },
      },
      '2026-03-01',
    );
  ids.l1 = await make(['2026-02-15', '2026-03-15', '2026-04-15'], 'INTEG1');
  ids.l2 = await make(['2026-03-15', '2026-04-15'], 'INTEG2');
  ids.l3 = await make(['2026-01-10', '2026-02-10'], 'INTEG3');
  ids.p1 = await pay(ids.l1, 150_000, '2026-03-16', 'UTRINTEGRITY01');
  ids.p2 = await pay(ids.l2, 50_000, '2026-03-10', 'UTRINTEGRITY02');
  const bounced = await pay(ids.l3, 110_000, '2026-03-05', 'UTRINTEGRITY03');
  await reversePayment(database.db, bounced, {
    now: istNoon('2026-03-08'),
    bucketTable: DEFAULT_BUCKET_TABLE,
    actor: { type: 'user', id: 'finance-1', role: 'finance' },
    reason: 'NEFT returned',
    requestId: null,
  });
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

describe('the integrity check', () => {
  it('reports a clean book clean, stores the run and lists it for admins', async () => {
    const { run, findings } = await check();
    expect(run).toMatchObject({ status: 'CLEAN', findingsTotal: 0, checks: only({}) });
    expect(findings).toEqual([]);
    const list = await api.request('GET', '/v1/admin/integrity-runs');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ items: [{ id: run.id, status: 'CLEAN', trigger: 'MANUAL', triggeredBy: 'system:test' }] });
    const one = await api.request('GET', `/v1/admin/integrity-runs/${run.id}`);
    expect(one.body).toMatchObject({ id: run.id, findings: [] });
    expect((await api.request('GET', '/v1/admin/integrity-runs', { role: 'finance' })).status).toBe(403);
    expect((await api.request('GET', '/v1/admin/integrity-runs/999999')).status).toBe(404);
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'INTEGRITY_CHECK_RUN').execute();
    expect(audit.map((entry) => entry.entity_id)).toContain(String(run.id));
  });

  it('finds a payment whose allocations do not sum to its amount', async () => {
    const allocation = await database.db
      .selectFrom('payment_allocations')
      .select(['id', 'installment_id'])
      .where('payment_id', '=', ids.p2)
      .where('component', '=', 'PRINCIPAL')
      .executeTakeFirstOrThrow();
    await asTamperer(`UPDATE payment_allocations SET amount_paise = amount_paise - 700 WHERE id = ${allocation.id}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ PAYMENT_ALLOCATIONS_SUM: 1, PAID_MATCHES_ALLOCATIONS: 1 }));
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'PAYMENT_ALLOCATIONS_SUM', table: 'payments', rowId: String(ids.p2), expected: '50000', actual: '49300' }),
    );
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'PAID_MATCHES_ALLOCATIONS', table: 'installments', rowId: String(allocation.installment_id) }),
    );
    const stored = await api.request('GET', `/v1/admin/integrity-runs/${run.id}`);
    expect(stored.body).toMatchObject({
      status: 'FINDINGS',
      findingsTotal: 2,
      findings: expect.arrayContaining([expect.objectContaining({ check: 'PAYMENT_ALLOCATIONS_SUM', rowId: String(ids.p2) })]),
    });
    await asTamperer(`UPDATE payment_allocations SET amount_paise = amount_paise + 700 WHERE id = ${allocation.id}`);
  });

  it('finds an installment paid above what was due', async () => {
    const installment = await database.db
      .selectFrom('installments')
      .selectAll()
      .where('loan_id', '=', ids.l1)
      .where('seq', '=', 1)
      .executeTakeFirstOrThrow();
    await asTamperer(
      'ALTER TABLE installments DROP CONSTRAINT installments_principal_paid_within_due',
      'ALTER TABLE installments DROP CONSTRAINT installments_paid_on_when_paid',
      `UPDATE installments SET principal_paid_paise = principal_due_paise + 500 WHERE id = ${installment.id}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ PAID_ABOVE_DUE: 1, PAID_MATCHES_ALLOCATIONS: 1, LOAN_OUTSTANDING: 1 }));
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'PAID_ABOVE_DUE', table: 'installments', rowId: String(installment.id), actual: 'principal 100500, interest 10000' }),
    );
    expect(findings).toContainEqual(expect.objectContaining({ check: 'LOAN_OUTSTANDING', table: 'loans', rowId: String(ids.l1) }));
    await asTamperer(`UPDATE installments SET principal_paid_paise = ${installment.principal_paid_paise} WHERE id = ${installment.id}`);
  });

  it("finds a loan whose outstanding is not its unpaid installments", async () => {
    const loan = await database.db.selectFrom('loans').selectAll().where('id', '=', ids.l2).executeTakeFirstOrThrow();
    await asTamperer(`UPDATE loans SET interest_outstanding_paise = interest_outstanding_paise + 1000 WHERE id = ${ids.l2}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ LOAN_OUTSTANDING: 1 }));
    expect(findings).toEqual([
      expect.objectContaining({
        check: 'LOAN_OUTSTANDING',
        table: 'loans',
        rowId: String(ids.l2),
        expected: `principal ${loan.principal_outstanding_paise}, interest ${loan.interest_outstanding_paise}, charges 0`,
        actual: `principal ${loan.principal_outstanding_paise}, interest ${loan.interest_outstanding_paise + 1000}, charges 0`,
      }),
    ]);
    await asTamperer(`UPDATE loans SET interest_outstanding_paise = ${loan.interest_outstanding_paise} WHERE id = ${ids.l2}`);
  });

  it('finds a loan whose DPD and bucket are not what its installments say', async () => {
    const loan = await database.db.selectFrom('loans').selectAll().where('id', '=', ids.l1).executeTakeFirstOrThrow();
    expect(loan).toMatchObject({ dpd: 1, bucket: 'SMA-0' });
    await asTamperer(`UPDATE loans SET dpd = 45, bucket = 'SMA-1' WHERE id = ${ids.l1}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ LOAN_DPD: 1, LOAN_BUCKET: 1 }));
    expect(findings).toEqual([
      expect.objectContaining({ check: 'LOAN_DPD', table: 'loans', rowId: String(ids.l1), expected: '1', actual: '45' }),
      expect.objectContaining({ check: 'LOAN_BUCKET', table: 'loans', rowId: String(ids.l1), expected: 'SMA-0', actual: 'SMA-1' }),
    ]);
    await asTamperer(`UPDATE loans SET dpd = ${loan.dpd}, bucket = '${loan.bucket}' WHERE id = ${ids.l1}`);
  });

  it('finds a payment without its intake and an intake pointing at the wrong payment', async () => {
    const intake = await database.db.selectFrom('payment_intake').selectAll().where('payment_id', '=', ids.p1).executeTakeFirstOrThrow();
    await asTamperer(`UPDATE payment_intake SET payment_id = ${ids.p2} WHERE id = '${intake.id}'`);
    const { run, findings } = await check();
    expect(run.checks.INTAKE_PAYMENT).toBeGreaterThanOrEqual(2);
    expect(findings).toContainEqual(expect.objectContaining({ check: 'INTAKE_PAYMENT', table: 'payment_intake', rowId: intake.id }));
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'INTAKE_PAYMENT', table: 'payments', rowId: String(ids.p1), expected: 'a POSTED intake pointing at this payment' }),
    );
    await asTamperer(`UPDATE payment_intake SET payment_id = ${ids.p1} WHERE id = '${intake.id}'`);
    expect((await check()).run.status).toBe('CLEAN');
  });

  it('finds one transfer posted twice under two spellings of its UTR, and leaves a reversed payment out', async () => {
    // As intake stored UTRs before it kept their key: the unique index sees three UTRs.
    const bounced = await database.db.selectFrom('payments').select('id').where('status', '=', 'REVERSED').executeTakeFirstOrThrow();
    const stored = await database.db.selectFrom('payments').select(['id', 'utr']).where('id', 'in', [ids.p1, ids.p2, bounced.id]).execute();
    await asTamperer(
      `UPDATE payments SET utr = '608100000001' WHERE id = ${ids.p1}`,
      `UPDATE payments SET utr = '0000608100000001' WHERE id = ${ids.p2}`,
      `UPDATE payments SET utr = '00608100000001' WHERE id = ${bounced.id}`,
    );
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ PAYMENT_UTR_ONCE: 2 }));
    const together = `payment ${ids.p1} (loan ${ids.l1}, UTR 608100000001), payment ${ids.p2} (loan ${ids.l2}, UTR 0000608100000001)`;
    const named = (id: number) =>
      expect.objectContaining({ check: 'PAYMENT_UTR_ONCE', table: 'payments', rowId: String(id), expected: 'one posted payment with UTR 608100000001', actual: together });
    expect(findings).toEqual([named(ids.p1), named(ids.p2)]);
    await asTamperer(...stored.map((row) => `UPDATE payments SET utr = '${row.utr}' WHERE id = ${row.id}`));
    expect((await check()).run.status).toBe('CLEAN');
  });

  it("finds a loan whose collector is not the one its allocation history holds it for", async () => {
    const [collector] = await database.db.insertInto('collectors').values({ code: 'INTEG1', name: 'Integrity One' }).returning('id').execute();
    const collectorId = collector?.id as number;
    // With triggers off the loan moves and the history does not follow.
    await asTamperer(`UPDATE loans SET collector_id = ${collectorId} WHERE id = ${ids.l1}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ LOAN_ALLOCATION: 1 }));
    expect(findings).toEqual([
      expect.objectContaining({ check: 'LOAN_ALLOCATION', table: 'loans', rowId: String(ids.l1), expected: 'no collector', actual: `collector ${collectorId}` }),
    ]);
    // The same move with triggers on records it: clean again.
    await asTamperer(`UPDATE loans SET collector_id = NULL WHERE id = ${ids.l1}`);
    await database.db.updateTable('loans').set({ collector_id: collectorId }).where('id', '=', ids.l1).execute();
    expect((await check()).run.status).toBe('CLEAN');
    // A loan taken off its collector behind the history's back.
    await asTamperer(`UPDATE loans SET collector_id = NULL WHERE id = ${ids.l1}`);
    const taken = await check();
    expect(taken.findings).toEqual([
      expect.objectContaining({ check: 'LOAN_ALLOCATION', rowId: String(ids.l1), expected: `collector ${collectorId}`, actual: 'no collector' }),
    ]);
    await database.db.updateTable('loans').set({ collector_id: collectorId }).where('id', '=', ids.l1).execute();
    await database.db.updateTable('loans').set({ collector_id: null }).where('id', '=', ids.l1).execute();
    expect((await check()).run.status).toBe('CLEAN');
  });

  it('npm run verify: exit 0 on a clean book, 1 naming the rows when something is wrong', async () => {
    const clean = await runVerify(database.url);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('the book is clean');
    await asTamperer(`UPDATE loans SET principal_outstanding_paise = principal_outstanding_paise - 1 WHERE id = ${ids.l3}`);
    const dirty = await runVerify(database.url);
    expect(dirty.status).toBe(1);
    expect(dirty.stdout).toContain(`LOAN_OUTSTANDING loans ${ids.l3}:`);
    await asTamperer(`UPDATE loans SET principal_outstanding_paise = principal_outstanding_paise + 1 WHERE id = ${ids.l3}`);
  });

  it('finds an altered audit entry through the hash chain', async () => {
    await sealEverything(database.db);
    const entry = await database.db.selectFrom('audit_log').select('id').where('action', '=', 'PAYMENT_REVERSED').executeTakeFirstOrThrow();
    await asTamperer(`UPDATE audit_log SET after = '{"reason":"nothing happened"}' WHERE id = ${entry.id}`);
    const { run, findings } = await check();
    expect(run.checks).toEqual(only({ AUDIT_CHAIN: 1 }));
    expect(findings).toEqual([expect.objectContaining({ check: 'AUDIT_CHAIN', table: 'audit_log', rowId: String(entry.id), actual: 'ALTERED' })]);
  });
});
