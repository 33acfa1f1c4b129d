import { DateTime } from 'luxon';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import type { IntegrityRunSummary } from '@loanops/integrity';
import { INTEGRITY_SCHEDULER_ID } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { registerIntegritySchedule } from '../../apps/worker/src/maintenance-worker.js';
import { startWorker } from '../../apps/worker/src/start-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { defaultDpdSettings } from '../support/worker.js';
import { insertLoan } from '../support/fixtures.js';

/**
 * The weekly integrity check: a BullMQ job scheduler on Fridays at 06:00 in Asia/Kolkata whatever
 * the server's zone (this file also runs with TZ=America/Los_Angeles), none when the cron is off;
 * its job runs every check, stores the run and raises the alert when anything is wrong.
 */
const WEEKLY = { enabled: true, pattern: '0 6 * * 5', timezone: 'Asia/Kolkata' };
let database: TestDatabase;
let redis: TestRedis;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
});
afterAll(async () => {
  await redis.cleanup();
  await database.drop();
});

describe('the weekly schedule', () => {
  it('fires on Fridays at 06:00 IST, is registered once, and is removed when the cron is off', async () => {
    const queue = redis.queues.get('maintenance');
    expect(await registerIntegritySchedule(queue, WEEKLY)).toBe('registered');
    expect(await registerIntegritySchedule(queue, WEEKLY)).toBe('unchanged');
    const scheduler = await queue.getJobScheduler(INTEGRITY_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ pattern: '0 6 * * 5', tz: 'Asia/Kolkata', name: 'integrity-check' });
    const next = DateTime.fromMillis(Number(scheduler?.next), { zone: 'Asia/Kolkata' });
    expect([next.weekday, next.hour, next.minute]).toEqual([5, 6, 0]);
    expect(next.toUTC().toFormat('ccc HH:mm')).toBe('Fri 00:30');
    expect(await registerIntegritySchedule(queue, { ...WEEKLY, enabled: false })).toBe('removed');
    expect(await queue.getJobScheduler(INTEGRITY_SCHEDULER_ID)).toBeUndefined();
    expect(await registerIntegritySchedule(queue, { ...WEEKLY, enabled: false })).toBe('absent');
  });
});

describe('the integrity-check job', () => {
  it('runs the checks, stores the run as scheduled and raises the alert with the findings', async () => {
    const loanId = await insertLoan(database);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query("SET session_replication_role = 'replica'");
    await client.query(`UPDATE loans SET dpd = 7 WHERE id = ${loanId}`);
    await client.end();

    const alerts: IntegrityRunSummary[] = [];
    const connection = createRedis(redis.url);
    const running = startWorker({
      db: database.db,
      redis: connection,
      prefix: redis.prefix,
      logger: pino({ level: 'silent' }),
      bucketTable: DEFAULT_BUCKET_TABLE,
      queues: ['maintenance'],
      concurrency: 1,
      name: 'test-maintenance',
      dpd: { ...defaultDpdSettings(), cronEnabled: false },
      maintenance: { cronEnabled: false, integrityCron: WEEKLY.pattern, integrityTimezone: WEEKLY.timezone, onFindings: (run) => alerts.push(run) },
    });
    try {
      await running.ready;
      await redis.queues.get('maintenance').add('integrity-check', {});
      const run = await waitFor(async () => (await database.db.selectFrom('integrity_runs').selectAll().executeTakeFirst()) ?? undefined, {
        what: 'the integrity run',
        timeoutMs: 20_000,
      });
      expect(run).toMatchObject({ trigger: 'SCHEDULE', triggered_by: 'system:test-maintenance', status: 'FINDINGS', findings_total: 1 });
      const finding = await database.db.selectFrom('integrity_findings').selectAll().where('run_id', '=', run.id).executeTakeFirstOrThrow();
      expect(finding).toMatchObject({ check_name: 'LOAN_DPD', table_name: 'loans', row_id: String(loanId), actual: '7' });
      await waitFor(async () => (alerts.length > 0 ? alerts : undefined), { what: 'the alert', timeoutMs: 5_000 });
      expect(alerts[0]).toMatchObject({ id: Number(run.id), status: 'FINDINGS', checks: { LOAN_DPD: 1 } });
    } finally {
      await running.close();
      await connection.quit();
    }
  });
});
