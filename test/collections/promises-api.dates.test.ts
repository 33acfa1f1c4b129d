import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDuePromises } from '@loanops/collections';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { reversePayment } from '@loanops/payments';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { insertCollector, ist, payOn } from './helpers.js';

/**
 * POST/GET /v1/promises against a real API and database, on 10 March 2026 at 10:00 IST (still the
 * 9th in Los Angeles, where this file also runs).
 */
const TODAY = '2026-03-10';
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let mine: number;
let other: number;
let myLoan: number;
let otherLoan: number;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => ist(TODAY, '10:00') });
  mine = await insertCollector(database, 'Mine');
  other = await insertCollector(database, 'Other');
  myLoan = await insertLoan(database, { collectorId: mine }, TODAY);
  otherLoan = await insertLoan(database, { collectorId: other }, TODAY);
});
afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

async function outstanding(loanId: number): Promise<number> {
  const loan = await database.db.selectFrom('loans').select('total_outstanding_paise').where('id', '=', loanId).executeTakeFirstOrThrow();
  return loan.total_outstanding_paise;
}

const asCollector = (collectorId: number) => ({ role: 'collector' as const, sub: String(collectorId) });

describe('POST /v1/promises', () => {
  it('records a collector’s promise on their own loan, dated today in IST, audited', async () => {
    const response = await api.request('POST', '/v1/promises', {
      ...asCollector(mine),
      body: { loanId: myLoan, amountPaise: 50_000, promisedOn: '2026-03-15' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      loanId: myLoan,
      collectorId: mine,
      amountPaise: 50_000,
      madeOn: TODAY,
      promisedOn: '2026-03-15',
      status: 'OPEN',
      madeBy: `collector:${mine}`,
    });
    const id = (response.body as { id: number }).id;
    const audit = await database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('entity_type', '=', 'promise').where('entity_id', '=', String(id)).execute();
    expect(audit).toEqual([{ action: 'PROMISE_RECORDED', actor_id: String(mine) }]);
  });

  it('answers 404 for another collector’s loan, and records nothing', async () => {
    const before = await database.db.selectFrom('promises').select('id').execute();
    const response = await api.request('POST', '/v1/promises', {
      ...asCollector(mine),
      body: { loanId: otherLoan, amountPaise: 50_000, promisedOn: '2026-03-15' },
    });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await database.db.selectFrom('promises').select('id').execute()).toEqual(before);
  });

  it('lets ops record one on any loan, for the loan’s collector', async () => {
    const response = await api.request('POST', '/v1/promises', { role: 'ops', body: { loanId: otherLoan, amountPaise: 1_000, promisedOn: TODAY } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ collectorId: other, madeBy: 'ops:user-ops' });
  });

  it.each([
    ['today + 31 days', { amountPaise: 1_000, promisedOn: '2026-04-10' }, 'PROMISED_DATE_OUT_OF_RANGE', 'promisedOn'],
    ['yesterday', { amountPaise: 1_000, promisedOn: '2026-03-09' }, 'PROMISED_DATE_OUT_OF_RANGE', 'promisedOn'],
    ['below ₹1', { amountPaise: 99, promisedOn: TODAY }, 'PROMISE_AMOUNT_OUT_OF_RANGE', 'amountPaise'],
  ])('refuses %s with 422 naming the field', async (_name, body, code, path) => {
    const response = await api.request('POST', '/v1/promises', { ...asCollector(mine), body: { loanId: myLoan, ...body } });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { code, details: [{ path }] } });
  });

  it('takes today + 30 days and the whole outstanding, and refuses a paisa more', async () => {
    const all = await outstanding(myLoan);
    const over = await api.request('POST', '/v1/promises', {
      ...asCollector(mine),
      body: { loanId: myLoan, amountPaise: all + 1, promisedOn: '2026-04-09' },
    });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ error: { code: 'PROMISE_AMOUNT_OUT_OF_RANGE' } });
    const exact = await api.request('POST', '/v1/promises', {
      ...asCollector(mine),
      body: { loanId: myLoan, amountPaise: all, promisedOn: '2026-04-09' },
    });
    expect(exact.status).toBe(201);
  });

  it('refuses malformed bodies with 400 naming each field', async () => {
    const response = await api.request('POST', '/v1/promises', {
      ...asCollector(mine),
      body: { loanId: 'x', amountPaise: 1.5, promisedOn: '2026-02-30', extra: 1 },
    });
    expect(response.status).toBe(400);
    const paths = (response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort();
    expect(paths).toEqual(['', 'amountPaise', 'loanId', 'promisedOn']);
  });

  it('refuses finance and legal', async () => {
    for (const role of ['finance', 'legal'] as const) {
      const response = await api.request('POST', '/v1/promises', { role, body: { loanId: myLoan, amountPaise: 1_000, promisedOn: TODAY } });
      expect(response.status).toBe(403);
    }
  });

  it('keeps one open promise per loan: a new one supersedes the old, recorded on both', async () => {
    const loanId = await insertLoan(database, { collectorId: mine }, TODAY);
    const first = await api.request('POST', '/v1/promises', { ...asCollector(mine), body: { loanId, amountPaise: 5_000, promisedOn: '2026-03-12' } });
    const second = await api.request('POST', '/v1/promises', { ...asCollector(mine), body: { loanId, amountPaise: 7_000, promisedOn: '2026-03-14' } });
    const firstId = (first.body as { id: number }).id;
    const secondId = (second.body as { id: number }).id;
    const rows = await database.db.selectFrom('promises').select(['id', 'status', 'superseded_by', 'resolved_on']).where('loan_id', '=', loanId).orderBy('id').execute();
    expect(rows).toEqual([
      { id: firstId, status: 'SUPERSEDED', superseded_by: secondId, resolved_on: TODAY },
      { id: secondId, status: 'OPEN', superseded_by: null, resolved_on: null },
    ]);
    const audit = await database.db.selectFrom('audit_log').select('action').where('entity_type', '=', 'promise').where('entity_id', '=', String(firstId)).orderBy('id').execute();
    expect(audit.map((row) => row.action)).toEqual(['PROMISE_RECORDED', 'PROMISE_SUPERSEDED']);
  });

  it('makes one open promise of many at once on one loan', async () => {
    const loanId = await insertLoan(database, { collectorId: mine }, TODAY);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request('POST', '/v1/promises', { ...asCollector(mine), body: { loanId, amountPaise: 1_000 + i, promisedOn: '2026-03-12' } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    const open = await database.db.selectFrom('promises').select('id').where('loan_id', '=', loanId).where('status', '=', 'OPEN').execute();
    expect(open).toHaveLength(1);
  });
});

describe('GET /v1/promises', () => {
  it('shows a collector only the promises on their loans, and filters', async () => {
    const mineOnly = await api.request('GET', '/v1/promises?limit=200', asCollector(mine));
    expect(mineOnly.status).toBe(200);
    const items = (mineOnly.body as { items: { collectorId: number }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.collectorId === mine)).toBe(true);

    const all = await api.request('GET', `/v1/promises?collectorId=${other}`, { role: 'ops' });
    expect((all.body as { items: { collectorId: number }[] }).items.map((i) => i.collectorId)).toEqual([other]);

    const open = await api.request('GET', `/v1/promises?loanId=${myLoan}&status=OPEN&promisedFrom=2026-04-01&promisedTo=2026-04-30`, { role: 'admin' });
    expect((open.body as { items: { promisedOn: string }[] }).items.map((i) => i.promisedOn)).toEqual(['2026-04-09']);
  });

  it('pages with a cursor', async () => {
    const first = await api.request('GET', '/v1/promises?limit=2', { role: 'admin' });
    const body = first.body as { items: { id: number }[]; nextCursor: string };
    expect(body.items).toHaveLength(2);
    const next = await api.request('GET', `/v1/promises?limit=2&cursor=${body.nextCursor}`, { role: 'admin' });
    const ids = (next.body as { items: { id: number }[] }).items.map((i) => i.id);
    expect(Math.max(...ids)).toBeLessThan(Math.min(...body.items.map((i) => i.id)));
  });

  it('refuses a bad filter with 400', async () => {
    const response = await api.request('GET', '/v1/promises?status=LATE&promisedFrom=10-03-2026', { role: 'admin' });
    expect(response.status).toBe(400);
    expect((response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort()).toEqual(['promisedFrom', 'status']);
  });
});

describe('judging promises on the day after the promised date', () => {
  async function promise(loanId: number, amountPaise: number, promisedOn: string): Promise<number> {
    const response = await api.request('POST', '/v1/promises', { role: 'ops', body: { loanId, amountPaise, promisedOn } });
    expect(response.status).toBe(201);
    return (response.body as { id: number }).id;
  }
  const statusOf = (id: number) =>
    database.db.selectFrom('promises').select(['status', 'paid_paise', 'resolved_on']).where('id', '=', id).executeTakeFirstOrThrow();

  it('KEPT when paid in full by the promised date, BROKEN when paid a day late or a paisa short', async () => {
    const kept = await insertLoan(database, { collectorId: mine }, TODAY);
    const late = await insertLoan(database, { collectorId: mine }, TODAY);
    const short = await insertLoan(database, { collectorId: mine }, TODAY);
    const keptId = await promise(kept, 20_000, '2026-03-12');
    const lateId = await promise(late, 20_000, '2026-03-12');
    const shortId = await promise(short, 20_000, '2026-03-12');
    await payOn(database, kept, 5_000, '2026-03-10');
    await payOn(database, kept, 15_000, '2026-03-12');
    await payOn(database, late, 20_000, '2026-03-13');
    await payOn(database, short, 19_999, '2026-03-12');

    // On the promised date nothing is judged yet (earlier promises of this file may be).
    await resolveDuePromises(database.db, '2026-03-12', { type: 'system', id: 'test' });
    for (const id of [keptId, lateId, shortId]) expect((await statusOf(id)).status).toBe('OPEN');

    expect(await resolveDuePromises(database.db, '2026-03-13', { type: 'system', id: 'test' })).toMatchObject({ kept: 1 });
    expect(await statusOf(keptId)).toEqual({ status: 'KEPT', paid_paise: 20_000, resolved_on: '2026-03-13' });
    expect(await statusOf(lateId)).toEqual({ status: 'BROKEN', paid_paise: 0, resolved_on: '2026-03-13' });
    expect(await statusOf(shortId)).toEqual({ status: 'BROKEN', paid_paise: 19_999, resolved_on: '2026-03-13' });

    // Judged once: a later pass changes nothing.
    await resolveDuePromises(database.db, '2026-03-20', { type: 'system', id: 'test' });
    expect(await statusOf(keptId)).toEqual({ status: 'KEPT', paid_paise: 20_000, resolved_on: '2026-03-13' });
    const audit = await database.db.selectFrom('audit_log').select('action').where('entity_type', '=', 'promise').where('entity_id', 'in', [String(keptId), String(shortId)]).where('action', 'in', ['PROMISE_KEPT', 'PROMISE_BROKEN']).orderBy('id').execute();
    expect(audit.map((row) => row.action)).toEqual(['PROMISE_KEPT', 'PROMISE_BROKEN']);
  });

  it('judges again when a backdated payment posts, or a payment reverses, after the verdict; older verdicts stand', async () => {
    const backdated = await insertLoan(database, { collectorId: mine }, TODAY);
    const reversed = await insertLoan(database, { collectorId: mine }, TODAY);
    const settled = await insertLoan(database, { collectorId: mine }, TODAY);
    const backdatedId = await promise(backdated, 30_000, '2026-03-14');
    const reversedId = await promise(reversed, 30_000, '2026-03-14');
    const settledId = await promise(settled, 30_000, '2026-03-14');
    const keptPayment = await payOn(database, reversed, 30_000, '2026-03-14');
    const settledPayment = await payOn(database, settled, 30_000, '2026-03-14');

    await resolveDuePromises(database.db, '2026-03-15', { type: 'system', id: 'test' });
    expect((await statusOf(backdatedId)).status).toBe('BROKEN');
    expect((await statusOf(reversedId)).status).toBe('KEPT');

    // Paid on the promised date, but received (value-dated back) four days after the verdict.
    await payOn(database, backdated, 30_000, '2026-03-14', '2026-03-19');
    const reversal = { actor: { type: 'user' as const, id: 'finance-1', role: 'finance' as const }, requestId: null, reason: 'cheque bounced', bucketTable: DEFAULT_BUCKET_TABLE };
    await reversePayment(database.db, keptPayment, { ...reversal, now: ist('2026-03-19', '15:00') });
    expect(await resolveDuePromises(database.db, '2026-03-19', { type: 'system', id: 'test' })).toMatchObject({ rejudged: 2 });
    expect(await statusOf(backdatedId)).toEqual({ status: 'KEPT', paid_paise: 30_000, resolved_on: '2026-03-15' });
    expect(await statusOf(reversedId)).toEqual({ status: 'BROKEN', paid_paise: 0, resolved_on: '2026-03-15' });
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['entity_id', 'before', 'after'])
      .where('action', '=', 'PROMISE_REJUDGED')
      .where('entity_id', 'in', [String(backdatedId), String(reversedId)])
      .orderBy('id')
      .execute();
    expect(audit.map((row) => [row.entity_id, (row.before as { status: string }).status, (row.after as { status: string }).status])).toEqual([
      [String(backdatedId), 'BROKEN', 'KEPT'],
      [String(reversedId), 'KEPT', 'BROKEN'],
    ]);
    // Once judged again, a later pass changes nothing.
    expect(await resolveDuePromises(database.db, '2026-03-20', { type: 'system', id: 'test' })).toMatchObject({ rejudged: 0 });

    // A reversal long after the backdating window leaves the verdict as it was.
    await reversePayment(database.db, settledPayment, { ...reversal, now: ist('2026-03-30', '15:00') });
    await resolveDuePromises(database.db, '2026-03-30', { type: 'system', id: 'test' });
    expect(await statusOf(settledId)).toEqual({ status: 'KEPT', paid_paise: 30_000, resolved_on: '2026-03-15' });
  });
});
