import { Job } from 'bullmq';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDays, businessToday } from '@loanops/domain';
import { DELIVERY_SCHEDULER_ID, REMINDERS_SCHEDULER_ID, SCORING_SCHEDULER_ID } from '@loanops/queues';
import type { CollectionsWorkerSettings } from '../../apps/worker/src/collections-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues } from '../dpd/helpers.js';

/**
 * The reminders and scoring schedules: BullMQ job schedulers read in Asia/Kolkata whatever the
 * server's zone (this file also runs in Los Angeles), one however many workers register them, and
 * none for a feature that is off or with CRON_ENABLED=false (the outbox is still delivered).
 */
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

async function worker(collections: Partial<CollectionsWorkerSettings>) {
  const started = startTestWorker(database, redis.url, redis.prefix, { queues: ['reminders', 'scoring'], collections });
  workers.push(started);
  await started.ready;
  return started;
}

/** The next hh:mm in India from now, for hh from `fromHour` to `toHour`, as epoch ms. */
function nextIstHourly(fromHour: number, toHour: number, minute: number): number {
  const now = DateTime.now().setZone('Asia/Kolkata');
  for (let hour = fromHour; hour <= toHour; hour += 1) {
    const at = now.startOf('day').set({ hour, minute });
    if (at > now) return at.toMillis();
  }
  return now.startOf('day').plus({ days: 1 }).set({ hour: fromHour, minute }).toMillis();
}

/** The next hh:mm in India from now, as epoch ms. */
function nextIst(hour: number, minute: number): number {
  const now = DateTime.now().setZone('Asia/Kolkata');
  const today = now.startOf('day').set({ hour, minute });
  return (today > now ? today : today.plus({ days: 1 })).toMillis();
}

describe('collections schedules', () => {
  it('registers the plan hourly from 07:30 to 17:30 IST, the scores at 01:30 IST and the outbox every poll, once for many workers', async () => {
    redis = await createTestRedis();
    await Promise.all([worker({ cronEnabled: true }), worker({ cronEnabled: true }), worker({ cronEnabled: true })]);
    const reminders = redis.queues.get('reminders');
    const scoring = redis.queues.get('scoring');
    expect(await reminders.getJobScheduler(REMINDERS_SCHEDULER_ID)).toMatchObject({
      name: 'plan-reminders',
      pattern: '30 7-17 * * *',
      tz: 'Asia/Kolkata',
      next: nextIstHourly(7, 17, 30),
    });
    expect(await scoring.getJobScheduler(SCORING_SCHEDULER_ID)).toMatchObject({
      name: 'compute-scores',
      pattern: '30 1 * * *',
      tz: 'Asia/Kolkata',
      next: nextIst(1, 30),
    });
    expect(await reminders.getJobScheduler(DELIVERY_SCHEDULER_ID)).toMatchObject({ name: 'deliver-notifications', every: 15_000 });
    expect(await reminders.getJobSchedulersCount()).toBe(2);
    expect(await scoring.getJobSchedulersCount()).toBe(1);
    expect(await scoring.getDelayed()).toHaveLength(1);
  });

  it('removes the reminder plan with REMINDERS_ENABLED=false, keeping the outbox delivery', async () => {
    redis = await createTestRedis();
    await worker({ cronEnabled: true });
    await worker({ cronEnabled: true, remindersEnabled: false });
    const reminders = redis.queues.get('reminders');
    expect(await reminders.getJobScheduler(REMINDERS_SCHEDULER_ID)).toBeUndefined();
    expect(await reminders.getJobScheduler(DELIVERY_SCHEDULER_ID)).toBeDefined();
    expect(await redis.queues.get('scoring').getJobScheduler(SCORING_SCHEDULER_ID)).toBeDefined();
  });

  it('removes the scores with SCORING_ENABLED=false, and both daily schedules with CRON_ENABLED=false', async () => {
    redis = await createTestRedis();
    await worker({ cronEnabled: true });
    await worker({ cronEnabled: true, scoringEnabled: false });
    expect(await redis.queues.get('scoring').getJobScheduler(SCORING_SCHEDULER_ID)).toBeUndefined();
    expect(await redis.queues.get('reminders').getJobScheduler(REMINDERS_SCHEDULER_ID)).toBeDefined();

    await worker({ cronEnabled: false });
    expect(await redis.queues.get('reminders').getJobScheduler(REMINDERS_SCHEDULER_ID)).toBeUndefined();
    expect(await redis.queues.get('scoring').getJobSchedulersCount()).toBe(0);
    expect(await redis.queues.get('reminders').getJobScheduler(DELIVERY_SCHEDULER_ID)).toBeDefined();
  });

  it('plans no reminders with REMINDERS_ENABLED=false when the job comes anyway', async () => {
    redis = await createTestRedis();
    const today = businessToday();
    await loanWithDues(database, [addDays(today, 2)], today);
    await worker({ remindersEnabled: false });
    const queue = redis.queues.get('reminders');
    const job = await queue.add('plan-reminders', {});
    await waitFor(async () => (await queue.getJobState(job.id as string)) === 'completed', { what: 'the plan to complete' });
    expect((await Job.fromId(queue, job.id as string))?.returnvalue).toMatchObject({ enabled: false });
    expect(await database.db.selectFrom('notifications').select('id').execute()).toEqual([]);
  });
});
