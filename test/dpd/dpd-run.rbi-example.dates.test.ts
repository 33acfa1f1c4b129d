import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestWorker } from '../support/worker.js';
import { historyOf, loanWithDues, runDpd, standingOf, waitForRunEnd } from './helpers.js';

/**
 * RBI's worked example (circular of 12 November 2021): an EMI due 2021-03-31 and never paid is
 * SMA-0 with DPD 30 on 2021-04-30, SMA-1 with DPD 31 on 2021-05-01, SMA-2 with DPD 61 on
 * 2021-05-31 and NPA with DPD 91 on 2021-06-30. Through the whole path: the admin starts each run
 * over HTTP, dpd workers run the chunks, the parent closes the run. Runs in UTC and in
 * America/Los_Angeles: nothing may depend on the server's zone.
 */
let database: TestDatabase;
let redis: TestRedis;
let api: TestApi;
let worker: ReturnType<typeof startTestWorker>;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  api = await startTestApi(database, redis.queues);
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd', 'escalation'], dpd: { escalationEnabled: false } });
});
afterAll(async () => {
  await worker.closeAll();
  await api.close();
  await redis.cleanup();
  await database.drop();
});

describe("RBI's worked example, EMI due 2021-03-31", () => {
  it('runs on each date of the example give DPD 30 SMA-0, 31 SMA-1, 61 SMA-2, 91 NPA, each move dated that day', async () => {
    const loanId = await loanWithDues(database, ['2021-03-31'], '2021-03-15');
    expect(await standingOf(database, loanId)).toMatchObject({ dpd: 0, bucket: 'CURRENT' });

    const expected = [
      ['2021-04-30', 30, 'SMA-0'],
      ['2021-05-01', 31, 'SMA-1'],
      ['2021-05-31', 61, 'SMA-2'],
      ['2021-06-30', 91, 'NPA'],
    ] as const;
    for (const [businessDate, dpd, bucket] of expected) {
      const started = await api.request('POST', '/v1/admin/dpd-runs', { body: { businessDate } });
      expect(started.status).toBe(202);
      const run = await waitForRunEnd(database, (started.body as { id: number }).id);
      expect(run).toMatchObject({ businessDate, status: 'SUCCEEDED', trigger: 'MANUAL' });
      expect(await standingOf(database, loanId)).toMatchObject({ dpd, bucket, dpd_as_of: businessDate });
    }
    expect(await historyOf(database, loanId)).toEqual([
      // The first run found it SMA-0 since 2021-04-01 (DPD 1): dated that day, not the run's.
      ['2021-04-01', 'CURRENT', 'SMA-0', 1, 'DPD_RUN'],
      ['2021-05-01', 'SMA-0', 'SMA-1', 31, 'DPD_RUN'],
      ['2021-05-31', 'SMA-1', 'SMA-2', 61, 'DPD_RUN'],
      ['2021-06-30', 'SMA-2', 'NPA', 91, 'DPD_RUN'],
    ]);
  });

  it('one catch-up run on 2021-06-30 (the three runs before it missed) leaves the same standing and history', async () => {
    // A book of its own: the dates above already ran in this one.
    const own = await createTestDatabase();
    const ownRedis = await createTestRedis();
    const ownWorker = startTestWorker(own, ownRedis.url, ownRedis.prefix, { queues: ['dpd'] });
    try {
      const loanId = await loanWithDues(own, ['2021-03-31'], '2021-03-15');
      const run = await runDpd(own, ownRedis.queues, '2021-06-30');
      expect(run).toMatchObject({ status: 'SUCCEEDED', loansScanned: 1, dpdChanged: 1, bucketChanges: 4 });
      expect(await standingOf(own, loanId)).toMatchObject({ dpd: 91, bucket: 'NPA', dpd_as_of: '2021-06-30' });
      expect(await historyOf(own, loanId)).toEqual([
        ['2021-04-01', 'CURRENT', 'SMA-0', 1, 'DPD_RUN'],
        ['2021-05-01', 'SMA-0', 'SMA-1', 31, 'DPD_RUN'],
        ['2021-05-31', 'SMA-1', 'SMA-2', 61, 'DPD_RUN'],
        ['2021-06-30', 'SMA-2', 'NPA', 91, 'DPD_RUN'],
      ]);
    } finally {
      await ownWorker.closeAll();
      await ownRedis.cleanup();
      await own.drop();
    }
  });
});
