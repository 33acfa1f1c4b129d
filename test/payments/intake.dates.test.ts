import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { insertLoan } from '../support/fixtures.js';

/**
 * The value-date window is judged on the IST calendar, whatever the process TZ (this file runs
 * with TZ=UTC and TZ=America/Los_Angeles), on both sides of IST midnight.
 */
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let clock = new Date();
let loanId: number;
let utrSeq = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues, { now: () => clock });
  loanId = await insertLoan(database);
});

afterAll(async () => {
  await api.close();
  await redis.cleanup();
  await database.drop();
});

async function post(valueDate: string) {
  utrSeq += 1;
  const utr = `TZ${process.env.TZ === 'UTC' ? 'U' : 'L'}${String(utrSeq).padStart(10, '0')}`;
  const response = await api.request('POST', '/v1/payments', {
    role: 'finance',
    body: { utr, loanId, amountPaise: 10_000, valueDate, mode: 'UPI' },
  });
  return response.status === 202 ? 'ACCEPTED' : (response.body as { error: { code: string } }).error.code;
}

describe.each([
  // 23:50 IST on 10 April: UTC still says 10 April, Los Angeles says 10 April morning.
  ['23:50 IST', '2026-04-10T18:20:00Z', { today: '2026-04-10', week: '2026-04-03', eight: '2026-04-02', tomorrow: '2026-04-11' }],
  // 00:10 IST on 11 April: UTC and Los Angeles still say 10 April; IST says 11 April.
  ['00:10 IST', '2026-04-10T18:40:00Z', { today: '2026-04-11', week: '2026-04-04', eight: '2026-04-03', tomorrow: '2026-04-12' }],
])('at %s', (_label, instant, dates) => {
  beforeAll(() => {
    clock = new Date(instant);
  });

  it(`accepts today (${dates.today}) and 7 days back (${dates.week})`, async () => {
    expect(await post(dates.today)).toBe('ACCEPTED');
    expect(await post(dates.week)).toBe('ACCEPTED');
  });

  it(`refuses 8 days back (${dates.eight}) and tomorrow (${dates.tomorrow})`, async () => {
    expect(await post(dates.eight)).toBe('BACKDATED_TOO_FAR');
    expect(await post(dates.tomorrow)).toBe('FUTURE_VALUE_DATE');
  });
});
