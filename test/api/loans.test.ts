import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonths, businessToday } from '@loanops/domain';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';

let database: TestDatabase;
let api: TestApi;
let redis: TestRedis;
const today = businessToday();
let seq = 0;

function loanBody(overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    loanNumber: `LN-T${String(seq).padStart(5, '0')}`,
    borrower: { name: 'Asha Verma', phone: '98765 43210' },
    principalPaise: 10_000_000,
    annualRateBps: 1_200,
    tenureMonths: 12,
    disbursedOn: addMonths(today, -1),
    ...overrides,
  };
}

interface LoanBody {
  id: number;
  loanNumber: string;
  status: string;
  dpd: number;
  bucket: string;
  borrower: { id: number; phone: string };
  outstanding: { principalPaise: number; interestPaise: number; totalPaise: number; overduePaise: number };
  installments: { seq: number; dueOn: string; principalDuePaise: number; interestDuePaise: number; status: string }[];
}

interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
  requestId: string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  await database.db.insertInto('collectors').values([{ code: 'COL01', name: 'Ravi' }, { code: 'COL02', name: 'Meena' }]).execute();
});

afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

describe('POST /v1/loans', () => {
  it('creates a loan with an exact EMI schedule and returns 201 with Location', async () => {
    const response = await api.request('POST', '/v1/loans', { body: loanBody({ disbursedOn: '2025-12-31' }) });
    expect(response.status).toBe(201);
    const loan = response.body as LoanBody;
    expect(response.headers.get('location')).toBe(`/v1/loans/${loan.id}`);
    expect(loan.status).toBe('ACTIVE');
    expect(loan.borrower.phone).toBe('+919876543210');
    expect(loan.installments).toHaveLength(12);
    expect(loan.installments[0]).toMatchObject({ seq: 1, dueOn: '2026-01-31', principalDuePaise: 788_488, interestDuePaise: 100_000 });
    expect(loan.installments.reduce((sum, i) => sum + i.principalDuePaise, 0)).toBe(10_000_000);
    expect(loan.outstanding.principalPaise).toBe(10_000_000);
    expect(loan.outstanding.totalPaise).toBe(loan.installments.reduce((s, i) => s + i.principalDuePaise + i.interestDuePaise, 0));

    const history = await database.db.selectFrom('bucket_history').selectAll().where('loan_id', '=', loan.id).execute();
    expect(history).toMatchObject([{ from_bucket: null, to_bucket: loan.bucket, cause: 'ONBOARDING', business_date: today }]);
    const audit = await database.db.selectFrom('audit_log').selectAll().where('entity_id', '=', String(loan.id)).execute();
    expect(audit).toMatchObject([{ action: 'LOAN_CREATED', actor_id: 'user-admin', entity_type: 'loan' }]);
    expect(audit[0]?.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('computes DPD and bucket from the moment the loan exists', async () => {
    // Disbursed four months ago, nothing paid: the first EMI fell due three months ago.
    const disbursedOn = addMonths(today, -4);
    const response = await api.request('POST', '/v1/loans', { body: loanBody({ disbursedOn }) });
    expect(response.status).toBe(201);
    const loan = response.body as LoanBody;
    const firstDue = addMonths(disbursedOn, 1);
    const expectedDpd = Math.round((Date.parse(today) - Date.parse(firstDue)) / 86_400_000);
    expect(loan.dpd).toBe(expectedDpd);
    expect(loan.bucket).toBe(expectedDpd > 90 ? 'NPA' : expectedDpd > 60 ? 'SMA-2' : 'SMA-1');
    expect(loan.outstanding.overduePaise).toBeGreaterThan(0);
    expect(loan.installments.filter((i) => i.status === 'OVERDUE').length).toBeGreaterThanOrEqual(3);
  });

  it('takes a given schedule as it is', async () => {
    const installments = [
      { dueOn: addDays(today, 10), principalPaise: 60_000, interestPaise: 2_000 },
      { dueOn: addDays(today, 40), principalPaise: 40_000, interestPaise: 1_000 },
    ];
    const response = await api.request('POST', '/v1/loans', {
      body: loanBody({ principalPaise: 100_000, tenureMonths: 2, disbursedOn: addDays(today, -20), installments }),
    });
    expect(response.status).toBe(201);
    const loan = response.body as LoanBody;
    expect(loan.installments.map((i) => [i.dueOn, i.principalDuePaise, i.interestDuePaise])).toEqual(
      installments.map((i) => [i.dueOn, i.principalPaise, i.interestPaise]),
    );
    expect(loan.dpd).toBe(0);
    expect(loan.bucket).toBe('CURRENT');
  });

  it('makes every loan of a borrower NPA when a new one of theirs is 91+ DPD', async () => {
    const borrower = { name: 'Kiran Rao', phone: '9123456780', customerRef: 'CUST-NPA-1' };
    const first = (await api.request('POST', '/v1/loans', { body: loanBody({ borrower }) })).body as LoanBody;
    expect(first.bucket).toBe('CURRENT');
    const second = await api.request('POST', '/v1/loans', {
      body: loanBody({ borrower, disbursedOn: addMonths(today, -6) }),
    });
    expect(second.status).toBe(201);
    expect((second.body as LoanBody).bucket).toBe('NPA');
    expect((second.body as LoanBody).borrower.id).toBe(first.borrower.id);
    const again = (await api.request('GET', `/v1/loans/${first.id}`)).body as LoanBody;
    expect(again.bucket).toBe('NPA');
    expect(again.dpd).toBe(0);
    const moves = await database.db.selectFrom('bucket_history').selectAll().where('loan_id', '=', first.id).orderBy('id').execute();
    expect(moves.map((m) => [m.from_bucket, m.to_bucket, m.cause])).toEqual([
      [null, 'CURRENT', 'ONBOARDING'],
      ['CURRENT', 'NPA', 'ONBOARDING'],
    ]);
  });

  it('refuses a loanNumber the book has with 409 and writes nothing', async () => {
    const body = loanBody();
    expect((await api.request('POST', '/v1/loans', { body })).status).toBe(201);
    const before = await counts();
    const again = await api.request('POST', '/v1/loans', { body: { ...body, borrower: { name: 'X', phone: '9000000001' } } });
    expect(again.status).toBe(409);
    expect((again.body as ErrorBody).error.code).toBe('DUPLICATE_LOAN_NUMBER');
    expect(await counts()).toEqual(before);
  });

  it('answers two simultaneous creations of one loanNumber with one 201 and one 409', async () => {
    const body = loanBody();
    const results = await Promise.all([1, 2, 3].map(() => api.request('POST', '/v1/loans', { body })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const rows = await database.db.selectFrom('loans').select('id').where('loan_number', '=', body.loanNumber).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses an unknown collector with 422 and writes nothing', async () => {
    const before = await counts();
    const response = await api.request('POST', '/v1/loans', { body: loanBody({ collectorId: 9_999 }) });
    expect(response.status).toBe(422);
    expect((response.body as ErrorBody).error.code).toBe('COLLECTOR_NOT_FOUND');
    expect(await counts()).toEqual(before);
  });

  const malformed: [string, Record<string, unknown>, string][] = [
    ['loanNumber missing', { loanNumber: undefined }, 'loanNumber'],
    ['loanNumber with spaces', { loanNumber: 'LN 1' }, 'loanNumber'],
    ['loanNumber too long', { loanNumber: 'L'.repeat(41) }, 'loanNumber'],
    ['borrower missing', { borrower: undefined }, 'borrower'],
    ['borrower name empty', { borrower: { name: ' ', phone: '9876543210' } }, 'borrower.name'],
    ['phone not a mobile', { borrower: { name: 'A', phone: '12345' } }, 'borrower.phone'],
    ['phone a landline', { borrower: { name: 'A', phone: '0221234567' } }, 'borrower.phone'],
    ['email malformed', { borrower: { name: 'A', phone: '9876543210', email: 'a@' } }, 'borrower.email'],
    ['pinCode malformed', { borrower: { name: 'A', phone: '9876543210', pinCode: '01234' } }, 'borrower.pinCode'],
    ['language unknown', { borrower: { name: 'A', phone: '9876543210', language: 'fr' } }, 'borrower.language'],
    ['borrower unknown field', { borrower: { name: 'A', phone: '9876543210', pan: 'X' } }, 'borrower'],
    ['principal as rupee decimal', { principalPaise: 1000.5 }, 'principalPaise'],
    ['principal as string', { principalPaise: '1000000' }, 'principalPaise'],
    ['principal below ₹1,000', { principalPaise: 99_999 }, 'principalPaise'],
    ['principal above ₹10 crore', { principalPaise: 10_000_000_001 }, 'principalPaise'],
    ['rate negative', { annualRateBps: -1 }, 'annualRateBps'],
    ['rate above 60%', { annualRateBps: 6_001 }, 'annualRateBps'],
    ['rate fractional', { annualRateBps: 12.5 }, 'annualRateBps'],
    ['tenure zero', { tenureMonths: 0 }, 'tenureMonths'],
    ['tenure above 360', { tenureMonths: 361 }, 'tenureMonths'],
    ['disbursedOn not a date', { disbursedOn: '31/01/2026' }, 'disbursedOn'],
    ['disbursedOn impossible', { disbursedOn: '2026-02-30' }, 'disbursedOn'],
    ['disbursedOn in the future', { disbursedOn: addDays(today, 1) }, 'disbursedOn'],
    ['disbursedOn in a mistyped century', { disbursedOn: '1925-04-01' }, 'disbursedOn'],
    ['firstDueOn before disbursal', { disbursedOn: addDays(today, -5), firstDueOn: addDays(today, -6) }, 'firstDueOn'],
    ['firstDueOn years later', { disbursedOn: addDays(today, -5), firstDueOn: addMonths(today, 14) }, 'firstDueOn'],
    ['collectorId not a number', { collectorId: 'COL01' }, 'collectorId'],
    ['installments not summing', {
      tenureMonths: 1,
      installments: [{ dueOn: addDays(today, 20), principalPaise: 9_000_000, interestPaise: 0 }],
    }, 'installments'],
    ['installments count off tenure', {
      principalPaise: 100_000,
      tenureMonths: 3,
      installments: [{ dueOn: addDays(today, 20), principalPaise: 100_000, interestPaise: 0 }],
    }, 'installments'],
    ['installments out of order', {
      principalPaise: 100_000,
      tenureMonths: 2,
      installments: [
        { dueOn: addDays(today, 40), principalPaise: 50_000, interestPaise: 0 },
        { dueOn: addDays(today, 20), principalPaise: 50_000, interestPaise: 0 },
      ],
    }, 'installments.1.dueOn'],
    ['installment negative', {
      principalPaise: 100_000,
      tenureMonths: 1,
      installments: [{ dueOn: addDays(today, 20), principalPaise: 100_000, interestPaise: -1 }],
    }, 'installments.0.interestPaise'],
    ['unknown top-level field', { dpd: 0 }, ''],
    ['tags not strings', { tags: [1] }, 'tags.0'],
  ];

  it.each(malformed)('answers %s with 400 naming %j and writes nothing', async (_name, overrides, path) => {
    const before = await counts();
    const body = Object.fromEntries(Object.entries(loanBody(overrides)).filter(([, value]) => value !== undefined));
    const response = await api.request('POST', '/v1/loans', { body });
    expect(response.status).toBe(400);
    const error = (response.body as ErrorBody).error;
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details?.map((d) => d.path)).toContain(path);
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts|node_modules|SELECT|INSERT/);
    expect(await counts()).toEqual(before);
  });

  it('answers a body that is not JSON with 400 and an oversized body with 413', async () => {
    const notJson = await api.request('POST', '/v1/loans', { body: '{"loanNumber":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((notJson.body as ErrorBody).error.code).toBe('VALIDATION_ERROR');
    const huge = await api.request('POST', '/v1/loans', { body: loanBody({ notes: 'x'.repeat(200_000) }) });
    expect(huge.status).toBe(413);
  });

  it('answers terms rounding cannot amortise with 422', async () => {
    const response = await api.request('POST', '/v1/loans', {
      body: loanBody({ principalPaise: 100_000, annualRateBps: 2_400, tenureMonths: 360 }),
    });
    expect(response.status).toBe(422);
    expect((response.body as ErrorBody).error.code).toBe('DEGENERATE_SCHEDULE');
  });
});

describe('GET /v1/loans/:id', () => {
  it('answers 404 for a loan that does not exist and 400 for an id that is not one', async () => {
    expect((await api.request('GET', '/v1/loans/999999')).status).toBe(404);
    const bad = await api.request('GET', '/v1/loans/abc');
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error.details?.[0]?.path).toBe('id');
    expect((await api.request('GET', '/v1/loans/-1')).status).toBe(400);
  });

  it('shows a collector their own loans only', async () => {
    const mine = (await api.request('POST', '/v1/loans', { body: loanBody({ collectorId: 1 }) })).body as LoanBody;
    const theirs = (await api.request('POST', '/v1/loans', { body: loanBody({ collectorId: 2 }) })).body as LoanBody;
    expect((await api.request('GET', `/v1/loans/${mine.id}`, { role: 'collector', sub: '1' })).status).toBe(200);
    expect((await api.request('GET', `/v1/loans/${theirs.id}`, { role: 'collector', sub: '1' })).status).toBe(404);
    const page = (await api.request('GET', '/v1/loans?limit=200', { role: 'collector', sub: '1' })).body as {
      items: { collectorId: number }[];
    };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((item) => item.collectorId === 1)).toBe(true);
  });
});

describe('GET /v1/loans', () => {
  it('pages through every loan once with the cursor', async () => {
    const total = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM loans`.execute(database.db)).rows[0]?.n);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const response = await api.request('GET', `/v1/loans${query}`, { role: 'ops' });
      expect(response.status).toBe(200);
      const page = response.body as { items: { id: number }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('filters by bucket, status and collector', async () => {
    const npa = (await api.request('GET', '/v1/loans?bucket=NPA')).body as { items: { bucket: string }[] };
    expect(npa.items.length).toBeGreaterThan(0);
    expect(npa.items.every((item) => item.bucket === 'NPA')).toBe(true);
    const byCollector = (await api.request('GET', '/v1/loans?collectorId=2&status=ACTIVE')).body as {
      items: { collectorId: number; status: string }[];
    };
    expect(byCollector.items.length).toBeGreaterThan(0);
    expect(byCollector.items.every((item) => item.collectorId === 2 && item.status === 'ACTIVE')).toBe(true);
  });

  it.each([
    ['bucket=SMA-9', 'bucket'],
    ['status=OPEN', 'status'],
    ['collectorId=x', 'collectorId'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['cursor=garbage', 'cursor'],
    ['colour=red', ''],
  ])('answers ?%s with 400 naming %j', async (query, path) => {
    const response = await api.request('GET', `/v1/loans?${query}`);
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).error.details?.map((d) => d.path)).toContain(path);
  });
});

describe('authentication on the loan routes', () => {
  it('answers 401 without a token, 403 for a role the route does not list', async () => {
    const anonymous = await api.request('GET', '/v1/loans', { role: null });
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as ErrorBody).error.code).toBe('UNAUTHENTICATED');
    const finance = await api.request('POST', '/v1/loans', { role: 'finance', body: loanBody() });
    expect(finance.status).toBe(403);
    expect((finance.body as ErrorBody).error.code).toBe('FORBIDDEN');
  });
});

async function counts() {
  const result = await sql<{ loans: number; borrowers: number; installments: number; audit: number; history: number }>`
    SELECT (SELECT count(*)::int FROM loans) AS loans, (SELECT count(*)::int FROM borrowers) AS borrowers,
           (SELECT count(*)::int FROM installments) AS installments, (SELECT count(*)::int FROM audit_log) AS audit,
           (SELECT count(*)::int FROM bucket_history) AS history`.execute(database.db);
  return result.rows[0];
}
