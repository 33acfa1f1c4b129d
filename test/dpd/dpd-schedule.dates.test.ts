import { Job } from 'bullmq';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DPD_SCHEDULER_ID } from '@loanops/queues';
import { registerDpdSchedule } from '../../apps/worker/src/dpd-schedule.js';
import type { DpdWorkerSettings } from '../../apps/worker/src/dpd-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues, waitForRunEnd } from './helpers.js';

/**
 * The daily run as a BullMQ job scheduler: 00:05 in Asia/Kolkata whatever the server's zone (this
 * file also runs with TZ=America/Los_Angeles), one schedule however many workers register it,
 * none when CRON_ENABLED=false, and a scheduled job runs the IST date it fires on, once.
 */
const DAILY = { enabled: true, pattern: '5 0 * * *', timezone: 'Asia/Kolkata' };
let database: TestDatabase;
let redis: TestRedis;
const workers: ReturnType<typeof startTestWorker>[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.closeAll()));
  await redis.cleanup();
});

function worker(dpd: Partial<DpdWorkerSettings>) {
  const started = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd'], dpd });
  workers.push(started);
  return started;
}

/** A job's result once it completed. */
async function resultOf(queue: ReturnType<TestRedis['queues']['get']>, jobId: string | undefined): Promise<unknown> {
  await waitFor(async () => (await queue.getJobState(jobId as string)) === 'completed', { what: `job ${jobId} to complete` });
  // Read once completed: a job read while active carries no return value.
  return (await Job.fromId(queue, jobId as string))?.returnvalue;
}

/** The next 00:05 in India from now. */
function next0005Ist(): number {
  const now = DateTime.now().setZone('Asia/Kolkata');
  const today = now.startOf('day').plus({ minutes: 5 });
  return (today > now ? today : today.plus({ days: 1 })).toMillis();
}

describe('the daily DPD schedule', () => {
  it('is one job scheduler at 00:05 Asia/Kolkata, its next job at the next 00:05 IST', async () => {
    redis = await createTestRedis();
    const queue = redis.queues.get('dpd');
    expect(await registerDpdSchedule(queue, DAILY)).toBe('registered');
    const scheduler = await queue.getJobScheduler(DPD_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ name: 'scheduled-run', pattern: '5 0 * * *', tz: 'Asia/Kolkata', next: next0005Ist() });
    const delayed = await queue.getDelayed();
    expect(delayed.map((job) => job.id)).toEqual([`repeat:${DPD_SCHEDULER_ID}:${next0005Ist()}`]);
    expect(DateTime.fromMillis(delayed[0]?.timestamp as number + (delayed[0]?.delay as number), { zone: 'Asia/Kolkata' }).toFormat('HH:mm')).toBe('00:05');
  });

  it('stays one schedule with one pending job when several workers start, and when they restart', async () => {
    redis = await createTestRedis();
    const queue = redis.queues.get('dpd');
    const first = [worker({ cronEnabled: true }), worker({ cronEnabled: true }), worker({ cronEnabled: true })];
    await Promise.all(first.map((started) => started.ready));
    const pending = (await queue.getDelayed()).map((job) => job.id);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect(pending).toHaveLength(1);

    await Promise.all(workers.splice(0).map((started) => started.closeAll()));
    await Promise.all([worker({ cronEnabled: true }), worker({ cronEnabled: true })].map((started) => started.ready));
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect((await queue.getDelayed()).map((job) => job.id)).toEqual(pending);
    expect(await registerDpdSchedule(queue, DAILY)).toBe('unchanged');
  });

  it('keeps a run that fell due while no worker was up when a worker registers again', async () => {
    redis = await createTestRedis();
    const queue = redis.queues.get('dpd');
    // Every second, so one falls due at once; with no worker up it stays there, past due.
    const everySecond = { enabled: true, pattern: '* * * * * *', timezone: 'Asia/Kolkata' };
    await registerDpdSchedule(queue, everySecond);
    const [pending] = await queue.getDelayed();
    const dueAt = (pending?.timestamp as number) + (pending?.delay as number);
    await waitFor(() => Date.now() > dueAt + 200, { what: 'the scheduled job to fall due' });
    // Upserting again would replace it with the next second's job; registering leaves it.
    expect(await registerDpdSchedule(queue, everySecond)).toBe('unchanged');
    const kept = await Job.fromId(queue, pending?.id as string);
    expect(kept?.id).toBe(pending?.id);
    expect(await queue.getJobCounts('delayed', 'wait')).toEqual({ delayed: 1, wait: 0 });
    // A changed pattern replaces the schedule.
    expect(await registerDpdSchedule(queue, DAILY)).toBe('registered');
    expect(await queue.getJobScheduler(DPD_SCHEDULER_ID)).toMatchObject({ pattern: '5 0 * * *' });
  });

  it('schedules nothing with CRON_ENABLED=false, and removes a schedule left from before', async () => {
    redis = await createTestRedis();
    const queue = redis.queues.get('dpd');
    await registerDpdSchedule(queue, DAILY);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    await worker({ cronEnabled: false }).ready;
    expect(await queue.getJobScheduler(DPD_SCHEDULER_ID)).toBeUndefined();
    expect(await queue.getJobSchedulersCount()).toBe(0);
    expect(await queue.getDelayed()).toEqual([]);
    expect(await registerDpdSchedule(queue, { ...DAILY, enabled: false })).toBe('absent');
  });

  it('runs the IST date it fires on (00:10 IST is the next day in UTC and Los Angeles terms), once', async () => {
    redis = await createTestRedis();
    await loanWithDues(database, ['2026-03-05'], '2026-03-01');
    // 2026-04-10T18:40Z is 00:10 on 11 April in India, still 10 April in UTC and Los Angeles.
    worker({ now: () => new Date('2026-04-10T18:40:00Z') });
    const queue = redis.queues.get('dpd');
    const fired = await queue.add('scheduled-run', {});
    const run = await waitFor(
      () =>
        database.db
          .selectFrom('job_runs')
          .selectAll()
          .where('kind', '=', 'DPD')
          .where('business_date', '=', '2026-04-11')
          .executeTakeFirst(),
      { what: 'the scheduled run' },
    );
    expect(run).toMatchObject({ trigger: 'SCHEDULE', triggered_by: 'scheduler' });
    expect((await waitForRunEnd(database, run.id)).status).toBe('SUCCEEDED');
    expect(await resultOf(queue, fired.id)).toEqual({ outcome: 'STARTED', runId: run.id });

    // Fired again (a duplicate, a restart): the date is taken, nothing more happens.
    const again = await queue.add('scheduled-run', {});
    expect(await resultOf(queue, again.id)).toEqual({ outcome: 'EXISTS', runId: run.id });
    const runs = await database.db.selectFrom('job_runs').select('id').where('business_date', '=', '2026-04-11').execute();
    expect(runs).toHaveLength(1);
  });
});
