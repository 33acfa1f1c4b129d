import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { acceptPayment, postPayment, reversePayment } from '@loanops/payments';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { insertLoan } from '../support/fixtures.js';

/**
 * A statement with every kind of difference, against payments posted by hand:
 *   UTRRECON000001 posted ₹1,100 on 04-01, bank ₹1,100          → MATCHED
 *   UTRRECON000002 posted ₹500 on 04-02, bank ₹550               → AMOUNT_MISMATCH
 *   UTRRECON000003 not posted, bank ₹700                         → IN_BANK_NOT_POSTED
 *   UTRRECON000004 posted ₹300 on 04-03 then reversed, bank ₹300 → IN_BANK_NOT_POSTED
 *   UTRRECON000005 posted ₹200 on 04-02, not in the bank         → POSTED_NOT_IN_BANK
 *   UTRRECON000006 posted ₹400 on 03-20, before the statement    → not reconciled
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
const payments: Record<string, number> = {};
let loanNumber = '';
let loanId = 0;
const istNoon = (date: string) => new Date(`${date}T06:30:00Z`);

async function pay(loanId: number, amountPaise: number, on: string, utr: string): Promise<number> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: on, mode: 'IMPS' },
    { receivedBy: 'finance:test', requestId: null, now: istNoon(on) },
  );
  const outcome = await postPayment(database.db, intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now: istNoon(on), actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}

const STATEMENT = [
  'HDFC BANK Ltd.',
  'Statement of account 50100012345678',
  'Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance',
  '01/04/26,IMPS CR RAVI,UTRRECON000001,01/04/26,,"1,100.00","1,100.00"',
  '02/04/26,IMPS CR ASHA,utrrecon000002,02/04/26,,550.00,"1,650.00"',
  '02/04/26,BANK CHARGES,CHG00000000001,02/04/26,10.00,,"1,640.00"',
  '03/04/26,IMPS CR UNKNOWN,UTRRECON000003,03/04/26,,700.00,"2,340.00"',
  '03/04/26,IMPS CR BALA,UTRRECON000004,03/04/26,,300.00,"2,640.00"',
].join('\r\n');

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  loanId = await insertLoan(
    database,
    {
      principalPaise: 1_000_000,
      tenureMonths: 10,
      disbursedOn: '2026-01-01',
      installments: Array.from({ length: 10 }, (_, i) => ({ dueOn: `2026-${String(i + 2).padStart(2, '0')}-01`, principalPaise: 100_000, interestPaise: 10_000 })),
    },
    '2026-03-01',
  );
  loanNumber = (await database.db.selectFrom('loans').select('loan_number').where('id', '=', loanId).executeTakeFirstOrThrow()).loan_number;
  payments.p6 = await pay(loanId, 40_000, '2026-03-20', 'UTRRECON000006');
  payments.p1 = await pay(loanId, 110_000, '2026-04-01', 'UTRRECON000001');
  payments.p2 = await pay(loanId, 50_000, '2026-04-02', 'UTRRECON000002');
  payments.p5 = await pay(loanId, 20_000, '2026-04-02', 'UTRRECON000005');
  payments.p4 = await pay(loanId, 30_000, '2026-04-03', 'UTRRECON000004');
  await reversePayment(database.db, payments.p4 as number, {
    actor: { type: 'user', id: 'finance-1', role: 'finance' },
    requestId: null,
    reason: 'IMPS returned',
    bucketTable: DEFAULT_BUCKET_TABLE,
    now: istNoon('2026-04-04'),
  });
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

const statements = async () => (await database.db.selectFrom('bank_statements').select('id').execute()).length;

describe('POST /v1/reconciliations', () => {
  let statementId: number;

  it('imports the statement and matches it with the posted payments by UTR', async () => {
    const response = await api.request('POST', '/v1/reconciliations?layout=hdfc&fileName=april.csv', {
      role: 'finance',
      body: STATEMENT,
      headers: { 'content-type': 'text/csv' },
    });
    expect(response.status).toBe(201);
    statementId = (response.body as { id: number }).id;
    expect(response.headers.get('location')).toBe(`/v1/reconciliations/${statementId}`);
    expect(response.body).toMatchObject({
      fileName: 'april.csv',
      layout: 'hdfc',
      from: '2026-04-01',
      to: '2026-04-03',
      lines: 4,
      counts: { MATCHED: 1, AMOUNT_MISMATCH: 1, IN_BANK_NOT_POSTED: 2, POSTED_NOT_IN_BANK: 1, NO_UTR: 0 },
      bankTotalPaise: 265_000,
      postedTotalPaise: 180_000,
      importedBy: 'user:user-finance',
    });
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'BANK_STATEMENT_RECONCILED').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ entity_id: String(statementId), actor_id: 'user-finance' });
  });

  it('lists every item with both sides, and exports them as CSV', async () => {
    const items = await api.request('GET', `/v1/reconciliations/${statementId}/items`, { role: 'finance' });
    expect(items.status).toBe(200);
    const byUtr = Object.fromEntries((items.body as { utr: string }[]).map((item) => [item.utr, item]));
    expect(Object.keys(byUtr).sort()).toEqual(['UTRRECON000001', 'UTRRECON000002', 'UTRRECON000003', 'UTRRECON000004', 'UTRRECON000005']);
    expect(byUtr.UTRRECON000001).toMatchObject({ outcome: 'MATCHED', row: 4, bankAmountPaise: 110_000, postedAmountPaise: 110_000, paymentId: payments.p1 });
    expect(byUtr.UTRRECON000002).toMatchObject({
      outcome: 'AMOUNT_MISMATCH',
      bankAmountPaise: 55_000,
      postedAmountPaise: 50_000,
      differencePaise: 5_000,
      paymentId: payments.p2,
    });
    expect(byUtr.UTRRECON000003).toMatchObject({ outcome: 'IN_BANK_NOT_POSTED', row: 7, paymentId: null, bankValueDate: '2026-04-03' });
    expect(byUtr.UTRRECON000004).toMatchObject({ outcome: 'IN_BANK_NOT_POSTED', paymentId: payments.p4, note: 'the payment with this UTR was reversed' });
    expect(byUtr.UTRRECON000005).toMatchObject({
      outcome: 'POSTED_NOT_IN_BANK',
      row: null,
      bankAmountPaise: null,
      postedAmountPaise: 20_000,
      postedValueDate: '2026-04-02',
      paymentId: payments.p5,
    });

    const csv = await api.request('GET', `/v1/reconciliations/${statementId}/items?format=csv&outcome=AMOUNT_MISMATCH`);
    expect(csv.headers.get('content-disposition')).toContain(`reconciliation-${statementId}-amount_mismatch.csv`);
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('outcome,utr,reference,row,bankValueDate,bankAmountPaise,paymentId,loanNumber,postedValueDate,postedAmountPaise,differencePaise,note');
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toBe(
      `AMOUNT_MISMATCH,UTRRECON000002,utrrecon000002,5,2026-04-02,55000,${payments.p2},${loanNumber},2026-04-02,50000,5000,"bank 55000 paise, posted 50000 paise"`,
    );

    const summary = await api.request('GET', `/v1/reconciliations/${statementId}`);
    expect(summary.body).toMatchObject({ id: statementId, counts: { MATCHED: 1 } });
    const list = await api.request('GET', '/v1/reconciliations');
    expect(list.body).toMatchObject({ items: [{ id: statementId }] });
  });

  it('refuses a statement with wrong rows, naming each row and field, and stores nothing', async () => {
    const before = await statements();
    const bad = [
      STATEMENT,
      '04/04/26,IMPS CR,UTRRECON000009,31/04/26,,12.345,',
      '05/04/26,IMPS CR,UTRRECON000010,05/04/26,,100.00',
      '05/04/26,CASH DEPOSIT,CASH,05/04/26,,100.00,',
      '',
    ].join('\r\n');
    const response = await api.request('POST', '/v1/reconciliations?layout=hdfc', { body: bad, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      error: {
        code: 'INVALID_STATEMENT',
        details: [
          { row: 9, column: 'credit', message: '"12.345" is not an amount in rupees' },
          { row: 9, column: 'valueDate', message: '"31/04/26" is not a date (DD/MM/YYYY, DD-MMM-YYYY or YYYY-MM-DD)' },
          { row: 10, column: 'columns', message: 'has 6 cells where the header row has 7' },
        ],
      },
    });
    expect(await statements()).toBe(before);
  });

  it('imports interest, cash and cheque credits as NO_UTR lines, and matches UTRs written with other padding and spacing', async () => {
    // 608123456789 posted as written by the payer, shown zero-padded by the bank; 0000611223344556
    // posted padded, shown spaced without the zeros; 622334455667 received and not yet posted.
    const p7 = await pay(loanId, 100_000, '2026-05-04', '608123456789');
    const p8 = await pay(loanId, 60_000, '2026-05-05', '0000611223344556');
    await acceptPayment(
      database.db,
      { utr: '622334455667', loanId, amountPaise: 70_000, valueDate: '2026-05-05', mode: 'UPI' },
      { receivedBy: 'finance:test', requestId: null, now: istNoon('2026-05-05') },
    );
    const may = [
      'Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance',
      '04/05/2026,04/05/2026,BY TRANSFER-IMPS/608123456789,0000608123456789,,"1,000.00","1,000.00"',
      '04/05/2026,04/05/2026,INT.PD:01-04-2026 TO 30-04-2026,,,12.34,"1,012.34"',
      '05/05/2026,05/05/2026,CASH DEPOSIT SELF,CASH DEP,,"5,000.00","6,012.34"',
      '05/05/2026,05/05/2026,CLG CHQ DEP,000123,,"2,500.00","8,512.34"',
      '05/05/2026,05/05/2026,BY TRANSFER-IMPS,6112 2334 4556,,600.00,"9,112.34"',
      '06/05/2026,06/05/2026,BY TRANSFER-UPI,622334455667,,700.00,"9,812.34"',
      '06/05/2026,06/05/2026,ATM WDL,,200.00,,"9,612.34"',
    ].join('\n');
    const response = await api.request('POST', '/v1/reconciliations?layout=sbi&fileName=may.csv', { body: may, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(201);
    const statement = response.body as { id: number };
    expect(statement).toMatchObject({
      from: '2026-05-04',
      to: '2026-05-06',
      lines: 6,
      counts: { MATCHED: 2, AMOUNT_MISMATCH: 0, IN_BANK_NOT_POSTED: 1, POSTED_NOT_IN_BANK: 0, NO_UTR: 3 },
      bankTotalPaise: 100_000 + 1_234 + 500_000 + 250_000 + 60_000 + 70_000,
      postedTotalPaise: 160_000,
    });

    const items = await api.request('GET', `/v1/reconciliations/${statement.id}/items`);
    const byRow = Object.fromEntries((items.body as { row: number }[]).map((item) => [item.row, item]));
    expect(byRow[2]).toMatchObject({ outcome: 'MATCHED', utr: '608123456789', reference: '0000608123456789', paymentId: p7 });
    expect(byRow[6]).toMatchObject({ outcome: 'MATCHED', utr: '0000611223344556', reference: '6112 2334 4556', paymentId: p8 });
    expect(byRow[7]).toMatchObject({ outcome: 'IN_BANK_NOT_POSTED', utr: '622334455667', paymentId: null, note: 'received, waiting to be posted' });

    const unmatched = await api.request('GET', `/v1/reconciliations/${statement.id}/items?outcome=NO_UTR`);
    expect(unmatched.status).toBe(200);
    expect(unmatched.body).toEqual([
      expect.objectContaining({ outcome: 'NO_UTR', utr: null, reference: '', row: 3, bankAmountPaise: 1_234, paymentId: null, note: 'no reference on the statement' }),
      expect.objectContaining({ outcome: 'NO_UTR', reference: 'CASH DEP', row: 4, bankAmountPaise: 500_000, note: 'the reference is not a UTR (12 to 22 letters and digits)' }),
      expect.objectContaining({ outcome: 'NO_UTR', reference: '000123', row: 5, bankAmountPaise: 250_000, note: 'the reference is not a UTR (12 to 22 letters and digits)' }),
    ]);
    const csv = await api.request('GET', `/v1/reconciliations/${statement.id}/items?format=csv&outcome=NO_UTR`);
    expect(String(csv.body).trim().split('\r\n')[1]).toBe(`NO_UTR,,,3,2026-05-04,1234,,,,,,no reference on the statement`);
  });

  it('refuses bad parameters and bodies with 400 naming the field, and other roles with 403', async () => {
    const layout = await api.request('POST', '/v1/reconciliations?layout=kotak', { body: STATEMENT, headers: { 'content-type': 'text/csv' } });
    expect(layout.status).toBe(400);
    expect(layout.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: [{ path: 'layout' }] } });
    const both = await api.request('POST', '/v1/reconciliations?amount=Amt&credit=Cr', { body: STATEMENT, headers: { 'content-type': 'text/csv' } });
    expect(both.body).toMatchObject({ error: { details: [{ path: 'amount' }] } });
    const json = await api.request('POST', '/v1/reconciliations', { body: { rows: [] } });
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ error: { details: [{ path: 'body' }] } });
    const range = await api.request('POST', '/v1/reconciliations?layout=hdfc&from=2026-04-02', { body: STATEMENT, headers: { 'content-type': 'text/csv' } });
    expect(range.status).toBe(422);
    expect(range.body).toMatchObject({ error: { details: [{ column: 'from' }] } });
    expect((await api.request('POST', '/v1/reconciliations', { role: 'ops', body: STATEMENT, headers: { 'content-type': 'text/csv' } })).status).toBe(403);
    expect((await api.request('GET', '/v1/reconciliations/99999')).status).toBe(404);
    expect((await api.request('GET', `/v1/reconciliations/1/items?format=pdf`)).body).toMatchObject({ error: { details: [{ path: 'format' }] } });
  });
});

describe('npm run reconcile', () => {
  function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'apps/cli/src/reconcile.ts'), ...args],
        { cwd: ROOT, env: { PATH: process.env.PATH, DATABASE_URL: database.url, TZ: 'UTC' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
  }

  it('reconciles a file with a mapping of its own, and refuses a bad one with exit 65 naming the rows', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loanops-reconcile-'));
    const good = path.join(dir, 'gateway.csv');
    await writeFile(good, 'Settled On,Reference,Net Amount\n01-Apr-2026,UTRRECON000001,1100\n02-Apr-2026,UTRRECON000005,200.00\n');
    const ok = await run([good, '--value-date', 'Settled On', '--utr', 'Reference', '--amount', 'Net Amount', '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      fileName: 'gateway.csv',
      counts: { MATCHED: 2, AMOUNT_MISMATCH: 0, IN_BANK_NOT_POSTED: 0, POSTED_NOT_IN_BANK: 1 },
    });
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, 'value_date,utr,amount\n2026-04-01,UTRRECON000001,abc\n');
    const before = await statements();
    const refused = await run([bad]);
    expect(refused.status).toBe(65);
    expect(refused.stderr).toContain('row 2, amount: "abc" is not an amount in rupees');
    expect(await statements()).toBe(before);
  });
});
