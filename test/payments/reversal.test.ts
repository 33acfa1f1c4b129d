import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, addMonths, businessToday } from '@loanops/domain';
import { acceptPayment, postPayment } from '@loanops/payments';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { insertLoan } from '../support/fixtures.js';

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `REV${String((utrSeq += 1)).padStart(10, '0')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

async function post(loanId: number, amountPaise: number, utr = nextUtr()): Promise<number> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: today, mode: 'NACH' },
    { receivedBy: 'finance:test', requestId: null, now: new Date() },
  );
  const outcome = await postPayment(database.db, intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now: new Date(), actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}

const loan = (id: number) => database.db.selectFrom('loans').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const schedule = (id: number) =>
  database.db.selectFrom('installments').selectAll().where('loan_id', '=', id).orderBy('seq').execute();

describe('POST /v1/payments/:paymentId/reversal', () => {
  it('undoes the allocations, restores DPD and bucket (cause REVERSAL) and is audited', async () => {
    const loanId = await insertLoan(database, { disbursedOn: addMonths(today, -3) });
    const before = await loan(loanId);
    const installmentsBefore = await schedule(loanId);
    const arrears = installmentsBefore.filter((i) => i.due_on < today).reduce((s, i) => s + i.outstanding_paise, 0);
    const paymentId = await post(loanId, arrears);
    expect((await loan(loanId)).bucket).toBe('CURRENT');

    const response = await api.request('POST', `/v1/payments/${paymentId}/reversal`, {
      role: 'finance',
      body: { reason: 'NACH bounced: insufficient funds' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: paymentId, status: 'REVERSED', reversal: { reason: 'NACH bounced: insufficient funds' } });

    const after = await loan(loanId);
    expect(after).toMatchObject({
      dpd: before.dpd,
      bucket: before.bucket,
      total_outstanding_paise: before.total_outstanding_paise,
      principal_outstanding_paise: before.principal_outstanding_paise,
    });
    expect((await schedule(loanId)).map((i) => [i.principal_paid_paise, i.interest_paid_paise, i.paid_on])).toEqual(
      installmentsBefore.map(() => [0, 0, null]),
    );
    const history = await database.db.selectFrom('bucket_history').selectAll().where('loan_id', '=', loanId).orderBy('id').execute();
    expect(history.map((h) => h.cause)).toEqual(['ONBOARDING', 'PAYMENT', 'REVERSAL']);
    expect(history.at(-1)).toMatchObject({ from_bucket: 'CURRENT', to_bucket: before.bucket, payment_id: paymentId });
    const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'PAYMENT_REVERSED').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: 'user-finance', actor_role: 'finance', entity_id: String(loanId) });
    expect(audit.metadata).toMatchObject({ paymentId, reason: 'NACH bounced: insufficient funds' });
  });

  it('reopens a loan the payment closed, and only once', async () => {
    const loanId = await insertLoan(database, { principalPaise: 100_000, tenureMonths: 1, disbursedOn: today });
    const total = (await loan(loanId)).total_outstanding_paise;
    const paymentId = await post(loanId, total);
    expect((await loan(loanId)).status).toBe('CLOSED');
    const first = await api.request('POST', `/v1/payments/${paymentId}/reversal`, { role: 'admin', body: { reason: 'cheque returned' } });
    expect(first.status).toBe(200);
    const reopened = await loan(loanId);
    expect(reopened).toMatchObject({ status: 'ACTIVE', total_outstanding_paise: total, closed_at: null });
    const second = await api.request('POST', `/v1/payments/${paymentId}/reversal`, { role: 'admin', body: { reason: 'again' } });
    expect(second.status).toBe(409);
    expect((second.body as { error: { code: string } }).error.code).toBe('ALREADY_REVERSED');
    expect(await loan(loanId)).toEqual(reopened);
  });

  it('keeps a reversed payment’s UTR taken', async () => {
    const loanId = await insertLoan(database);
    const utr = nextUtr();
    const paymentId = await post(loanId, 5_000, utr);
    await api.request('POST', `/v1/payments/${paymentId}/reversal`, { role: 'finance', body: { reason: 'returned' } });
    const again = await api.request('POST', '/v1/payments', {
      role: 'finance',
      body: { utr, loanId, amountPaise: 5_000, valueDate: today, mode: 'UPI' },
    });
    expect(again.status).toBe(409);
  });

  it.each([
    ['no reason', 'finance', { }, 400],
    ['an unknown field', 'finance', { reason: 'bounced', amount: 1 }, 400],
    ['the ops role', 'ops', { reason: 'bounced' }, 403],
    ['no token', null, { reason: 'bounced' }, 401],
  ] as const)('refuses %s', async (_name, role, body, status) => {
    const loanId = await insertLoan(database);
    const paymentId = await post(loanId, 5_000);
    const response = await api.request('POST', `/v1/payments/${paymentId}/reversal`, { role, body });
    expect(response.status).toBe(status);
    expect((await database.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow()).status).toBe('POSTED');
  });

  it('answers 404 for a payment that does not exist', async () => {
    const response = await api.request('POST', '/v1/payments/987654/reversal', { role: 'finance', body: { reason: 'bounced' } });
    expect(response.status).toBe(404);
  });
});

describe('GET /v1/payments', () => {
  it('finds payments by UTR and by loan, and shows one with its allocations', async () => {
    const loanId = await insertLoan(database);
    const utr = nextUtr();
    const paymentId = await post(loanId, 7_000, utr);
    await post(loanId, 3_000);
    const byUtr = await api.request('GET', `/v1/payments?utr=${utr.toLowerCase()}`, { role: 'finance' });
    expect((byUtr.body as { items: { id: number }[] }).items.map((p) => p.id)).toEqual([paymentId]);
    const byLoan = await api.request('GET', `/v1/payments?loanId=${loanId}`, { role: 'ops' });
    expect((byLoan.body as { items: unknown[] }).items).toHaveLength(2);
    const one = await api.request('GET', `/v1/payments/${paymentId}`, { role: 'finance' });
    expect(one.body).toMatchObject({ id: paymentId, utr, amountPaise: 7_000, status: 'POSTED' });
    expect((one.body as { allocations: { amountPaise: number }[] }).allocations.reduce((s, a) => s + a.amountPaise, 0)).toBe(7_000);
    expect((await api.request('GET', '/v1/payments', { role: 'finance' })).status).toBe(400);
    expect((await api.request('GET', '/v1/payments/999999', { role: 'finance' })).status).toBe(404);
  });
});
