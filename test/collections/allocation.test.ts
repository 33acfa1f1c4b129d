import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, businessToday } from '@loanops/domain';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { insertCollector } from './helpers.js';

/** Bulk allocation of loans to collectors (ops, admin), and what a collector then sees. */
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
const today = businessToday();

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

const borrower = (pinCode: string) => ({ name: 'Alloc Borrower', phone: '+919876500011', language: 'en' as const, pinCode });
const collectorOf = async (ids: number[]) =>
  (await database.db.selectFrom('loans').select(['id', 'collector_id']).where('id', 'in', ids).orderBy('id').execute()).map((row) => row.collector_id);

describe('POST /v1/collectors/:id/allocations', () => {
  it('allocates a list of loans, audits each move, and the collector then sees exactly those', async () => {
    const collector = await insertCollector(database);
    const loans = [await insertLoan(database), await insertLoan(database), await insertLoan(database)];
    const response = await api.request('POST', `/v1/collectors/${collector}/allocations`, { role: 'ops', body: { loanIds: loans.slice(0, 2) } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ collectorId: collector, allocated: 2, unchanged: 0 });
    expect(await collectorOf(loans)).toEqual([collector, collector, null]);

    const audit = await database.db
      .selectFrom('audit_log')
      .select(['entity_id', 'before', 'after', 'actor_id', 'request_id'])
      .where('action', '=', 'LOAN_COLLECTOR_ASSIGNED')
      .where('entity_id', 'in', loans.map(String))
      .orderBy('entity_id')
      .execute();
    expect(audit.map((row) => [row.entity_id, row.before, row.after, row.actor_id])).toEqual([
      [String(loans[0]), { collectorId: null }, { collectorId: collector }, 'user-ops'],
      [String(loans[1]), { collectorId: null }, { collectorId: collector }, 'user-ops'],
    ]);
    expect(audit[0]?.request_id).toBe(response.headers.get('x-request-id'));

    const seen = await api.request('GET', '/v1/loans', { role: 'collector', sub: String(collector) });
    expect((seen.body as { items: { id: number }[] }).items.map((loan) => loan.id)).toEqual(loans.slice(0, 2));

    // Again: nothing moves, nothing more is audited.
    const again = await api.request('POST', `/v1/collectors/${collector}/allocations`, { role: 'admin', body: { loanIds: loans.slice(0, 2) } });
    expect(again.body).toEqual({ collectorId: collector, allocated: 0, unchanged: 2 });
  });

  it('allocates by filter: a bucket and a PIN-code prefix, live loans only', async () => {
    const collector = await insertCollector(database);
    const overdue = { disbursedOn: addDays(today, -70), firstDueOn: addDays(today, -40) };
    const match = await insertLoan(database, { borrower: borrower('560001'), ...overdue });
    const otherPin = await insertLoan(database, { borrower: borrower('110001'), ...overdue });
    const current = await insertLoan(database, { borrower: borrower('560002') });
    const bucket = (await database.db.selectFrom('loans').select('bucket').where('id', '=', match).executeTakeFirstOrThrow()).bucket;
    expect(bucket).toBe('SMA-1');

    const response = await api.request('POST', `/v1/collectors/${collector}/allocations`, {
      role: 'ops',
      body: { filter: { bucket: 'SMA-1', pinCodePrefix: '560' } },
    });
    expect(response.status).toBe(200);
    expect(await collectorOf([match, otherPin, current])).toEqual([collector, null, null]);
    expect(response.body).toMatchObject({ allocated: 1 });
  });

  it('allocates nothing when a loan or the collector is unknown (422 naming them)', async () => {
    const collector = await insertCollector(database);
    const loan = await insertLoan(database);
    const unknownLoan = await api.request('POST', `/v1/collectors/${collector}/allocations`, { role: 'ops', body: { loanIds: [loan, 999_999_999] } });
    expect(unknownLoan.status).toBe(422);
    expect(unknownLoan.body).toMatchObject({ error: { code: 'LOAN_NOT_FOUND', details: [{ path: 'loanIds', message: expect.stringContaining('999999999') }] } });
    expect(await collectorOf([loan])).toEqual([null]);

    const unknownCollector = await api.request('POST', '/v1/collectors/999999/allocations', { role: 'ops', body: { loanIds: [loan] } });
    expect(unknownCollector.status).toBe(422);
    expect(unknownCollector.body).toMatchObject({ error: { code: 'COLLECTOR_NOT_FOUND' } });
  });

  it.each([
    [{}, ''],
    [{ loanIds: [], filter: { bucket: 'NPA' } }, ''],
    [{ loanIds: [] }, 'loanIds'],
    [{ loanIds: [1, 'x'] }, 'loanIds.1'],
    [{ filter: {} }, 'filter'],
    [{ filter: { pinCodePrefix: '0' } }, 'filter.pinCodePrefix'],
    [{ filter: { bucket: 'LATE' } }, 'filter.bucket'],
  ])('refuses %o with 400 at %s', async (body, path) => {
    const collector = await insertCollector(database);
    const response = await api.request('POST', `/v1/collectors/${collector}/allocations`, { role: 'ops', body });
    expect(response.status).toBe(400);
    expect((response.body as { error: { details: { path: string }[] } }).error.details[0]?.path).toBe(path);
  });

  it('is for ops and admins only', async () => {
    for (const role of ['collector', 'finance', 'legal'] as const) {
      const response = await api.request('POST', '/v1/collectors/1/allocations', { role, body: { loanIds: [1] } });
      expect(response.status).toBe(403);
    }
  });
});

describe('GET /v1/collectors', () => {
  it('lists collectors with their live loans', async () => {
    const collector = await insertCollector(database, 'Counted');
    await insertLoan(database, { collectorId: collector });
    const response = await api.request('GET', '/v1/collectors', { role: 'ops' });
    expect((response.body as { items: { id: number; loans: number; name: string }[] }).items).toContainEqual(
      expect.objectContaining({ id: collector, name: 'Counted', loans: 1 }),
    );
  });
});
