import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, businessToday } from '@loanops/domain';
import { paymentJobId } from '@loanops/queues';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { insertLoan } from '../support/fixtures.js';
import { startTestWorker } from '../support/worker.js';
import { waitFor } from '../support/wait.js';

let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let loanId: number;
const today = businessToday();
let utrSeq = 0;
const nextUtr = () => `INTK${String((utrSeq += 1)).padStart(10, '0')}`;

interface ErrorBody {
  error: { code: string; details?: { path: string }[] };
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  loanId = await insertLoan(database);
});

afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

const payment = (overrides: Record<string, unknown> = {}) => ({
  utr: nextUtr(),
  loanId,
  amountPaise: 50_000,
  valueDate: today,
  mode: 'NEFT',
  ...overrides,
});

describe('POST /v1/payments', () => {
  it('stores the request, enqueues it under a job id derived from the intake, and answers 202', async () => {
    const body = payment({ utr: '  hdfc0000123456 ' });
    const response = await api.request('POST', '/v1/payments', { role: 'finance', body });
    expect(response.status).toBe(202);
    const { intakeId, status } = response.body as { intakeId: string; status: string };
    expect(status).toBe('RECEIVED');
    expect(response.headers.get('location')).toBe(`/v1/payments/intake/${intakeId}`);
    const row = await database.db.selectFrom('payment_intake').selectAll().where('id', '=', intakeId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ utr: 'HDFC0000123456', loan_id: loanId, amount_paise: 50_000, status: 'RECEIVED' });
    // The job follows the 202 (the row is what makes the payment safe), under the intake's job id.
    const job = await waitFor(() => redis.queues.get('payments').getJob(paymentJobId(intakeId)), { what: 'the payment job' });
    expect(job.data).toEqual({ intakeId });
    const view = await api.request('GET', `/v1/payments/intake/${intakeId}`, { role: 'finance' });
    expect(view.body).toMatchObject({ intakeId, status: 'RECEIVED', utr: 'HDFC0000123456' });
  });

  it('accepts by loanNumber as well as loanId', async () => {
    const loan = await database.db.selectFrom('loans').select('loan_number').where('id', '=', loanId).executeTakeFirstOrThrow();
    const response = await api.request('POST', '/v1/payments', {
      role: 'admin',
      body: payment({ loanId: undefined, loanNumber: loan.loan_number }),
    });
    expect(response.status).toBe(202);
  });

  it('answers a UTR it already has with 409 DUPLICATE_UTR at once, in any letter case', async () => {
    const body = payment();
    expect((await api.request('POST', '/v1/payments', { role: 'finance', body })).status).toBe(202);
    const again = await api.request('POST', '/v1/payments', {
      role: 'finance',
      body: { ...body, utr: body.utr.toLowerCase(), amountPaise: 70_000 },
    });
    expect(again.status).toBe(409);
    expect((again.body as ErrorBody).error.code).toBe('DUPLICATE_UTR');
  });

  it('takes one UTR written with spaces or zero padding as the same UTR', async () => {
    const first = await api.request('POST', '/v1/payments', { role: 'finance', body: payment({ utr: '6081 2345 6789' }) });
    expect(first.status).toBe(202);
    const { intakeId } = first.body as { intakeId: string };
    const row = await database.db.selectFrom('payment_intake').select('utr').where('id', '=', intakeId).executeTakeFirstOrThrow();
    expect(row.utr).toBe('608123456789');
    for (const utr of ['0000608123456789', '608123456789', '  6081234 56789']) {
      const again = await api.request('POST', '/v1/payments', { role: 'finance', body: payment({ utr, amountPaise: 70_000 }) });
      expect([utr, again.status, (again.body as ErrorBody).error.code]).toEqual([utr, 409, 'DUPLICATE_UTR']);
    }
    const found = await api.request('GET', '/v1/payments/intake/' + intakeId, { role: 'finance' });
    expect(found.body).toMatchObject({ utr: '608123456789' });
  });

  it.each([
    ['99 paise', { amountPaise: 99 }, 422, 'AMOUNT_OUT_OF_RANGE'],
    ['one paisa over ₹1 crore', { amountPaise: 1_000_000_001 }, 422, 'AMOUNT_OUT_OF_RANGE'],
    ['8 days back', { valueDate: addDays(today, -8) }, 422, 'BACKDATED_TOO_FAR'],
    ['tomorrow', { valueDate: addDays(today, 1) }, 422, 'FUTURE_VALUE_DATE'],
    ['more than is outstanding', { amountPaise: 900_000_000 }, 422, 'OVERPAYMENT'],
    ['an unknown loan', { loanId: 987_654 }, 422, 'LOAN_NOT_FOUND'],
    ['a UTR too short', { utr: 'ABC123' }, 400, 'VALIDATION_ERROR'],
    ['a UTR with a dash', { utr: 'HDFC-00001234567' }, 400, 'VALIDATION_ERROR'],
    ['rupees with paise as decimals', { amountPaise: 500.5 }, 400, 'VALIDATION_ERROR'],
    ['an amount as text', { amountPaise: '500' }, 400, 'VALIDATION_ERROR'],
    ['an unknown mode', { mode: 'BITCOIN' }, 400, 'VALIDATION_ERROR'],
    ['a malformed date', { valueDate: '10-04-2026' }, 400, 'VALIDATION_ERROR'],
    ['both loanId and loanNumber', { loanNumber: 'X1' }, 400, 'VALIDATION_ERROR'],
    ['neither loanId nor loanNumber', { loanId: undefined }, 400, 'VALIDATION_ERROR'],
    ['an unknown field', { note: 'hi' }, 400, 'VALIDATION_ERROR'],
  ])('refuses %s with %d %s and stores nothing', async (_name, overrides, status, code) => {
    const before = await intakeCount();
    const body = Object.fromEntries(Object.entries(payment(overrides)).filter(([, v]) => v !== undefined));
    const response = await api.request('POST', '/v1/payments', { role: 'finance', body });
    expect(response.status).toBe(status);
    expect((response.body as ErrorBody).error.code).toBe(code);
    expect(await intakeCount()).toBe(before);
  });

  it('refuses a closed loan with 422 LOAN_NOT_PAYABLE', async () => {
    const closed = await insertLoan(database, { paidToDatePaise: undefined });
    await sql`UPDATE installments SET principal_paid_paise = principal_due_paise, interest_paid_paise = interest_due_paise, paid_on = ${today}::date WHERE loan_id = ${closed}`.execute(database.db);
    await sql`UPDATE loans SET status = 'CLOSED', closed_at = now(), principal_outstanding_paise = 0, interest_outstanding_paise = 0 WHERE id = ${closed}`.execute(database.db);
    const response = await api.request('POST', '/v1/payments', { role: 'finance', body: payment({ loanId: closed }) });
    expect(response.status).toBe(422);
    expect((response.body as ErrorBody).error.code).toBe('LOAN_NOT_PAYABLE');
  });

  it('lets only admin and finance post', async () => {
    for (const role of ['ops', 'collector', 'legal'] as const) {
      expect((await api.request('POST', '/v1/payments', { role, body: payment() })).status).toBe(403);
    }
    expect((await api.request('POST', '/v1/payments', { role: null, body: payment() })).status).toBe(401);
  });

  it('answers 200 concurrent requests with one UTR with exactly one 202, and posts it once', async () => {
    const worker = startTestWorker(database, redis.url, redis.prefix);
    try {
      const body = payment({ amountPaise: 12_345 });
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => api.request('POST', '/v1/payments', { role: 'finance', body })),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(199);
      const accepted = responses.find((r) => r.status === 202)?.body as { intakeId: string };
      await waitFor(
        async () => ((await api.request('GET', `/v1/payments/intake/${accepted.intakeId}`)).body as { status: string }).status === 'POSTED',
        { what: 'the payment to post' },
      );
      const rows = await database.db.selectFrom('payments').select('id').where('utr', '=', body.utr).execute();
      expect(rows).toHaveLength(1);
    } finally {
      await worker.closeAll();
    }
  });
});

async function intakeCount(): Promise<number> {
  const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payment_intake`.execute(database.db);
  return result.rows[0]?.n ?? -1;
}
