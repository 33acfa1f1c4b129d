import { Job, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromise } from '@loanops/collections';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues } from '../dpd/helpers.js';
import { ist, payOn } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * The reminders worker end to end on a clock the test moves (this file also runs with the process
 * in Los Angeles): the day's plan at 07:59 IST waits for 08:00, goes out once however often the plan
 * runs, in the borrower's language, and nothing goes out at 19:00 or after.
 */
let database: TestDatabase;
let redis: TestRedis;
let receiver: Receiver;
let worker: ReturnType<typeof startTestWorker>;
let clock = ist('2026-03-10', '07:59');
let queue: Queue;
let jobSeq = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  receiver = await startReceiver();
  worker = startTestWorker(database, redis.url, redis.prefix, {
    queues: ['reminders'],
    collections: { now: () => clock, webhookUrl: receiver.url, webhookTimeoutMs: 2_000 },
  });
  await worker.ready;
  queue = redis.queues.get('reminders');
});
afterAll(async () => {
  await worker.closeAll();
  await receiver.close();
  await redis.cleanup();
  await database.drop();
});

/** Adds a job and waits for its result. */
async function run(name: 'plan-reminders' | 'deliver-notifications', data: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  jobSeq += 1;
  const job = await queue.add(name, data, { jobId: `test-${name}-${jobSeq}` });
  await waitFor(async () => (await queue.getJobState(job.id as string)) === 'completed', { what: `${name} to complete` });
  return (await Job.fromId(queue, job.id as string))?.returnvalue as Record<string, unknown>;
}

const notifications = () =>
  database.db
    .selectFrom('notifications')
    .select(['id', 'kind', 'dedupe_key', 'channel', 'language', 'status', 'attempts', 'next_attempt_at', 'send_by', 'message', 'promise_id', 'installment_id'])
    .orderBy('id')
    .execute();

async function promiseOn(loanId: number, promisedOn: string, madeOn: string): Promise<number> {
  const made = await createPromise(
    database.db,
    { loanId, amountPaise: 25_000, promisedOn },
    { actor: { type: 'user', id: 'ops-1', role: 'ops' }, requestId: null, today: madeOn, now: ist(madeOn, '10:00') },
  );
  return made.id;
}

describe('reminders', () => {
  let promiseId: number;
  let dueSoon: number;

  it('plans the day once however often the plan runs: the promise due tomorrow and the installment due in 3 days', async () => {
    const hindi = await loanWithDues(database, ['2026-03-13', '2026-04-13'], '2026-03-01');
    await database.db
      .updateTable('borrowers')
      .set({ language: 'hi' })
      .where('id', '=', database.db.selectFrom('loans').select('borrower_id').where('id', '=', hindi))
      .execute();
    const later = await loanWithDues(database, ['2026-03-14'], '2026-03-01');
    const promised = await loanWithDues(database, ['2026-03-20'], '2026-03-01');
    promiseId = await promiseOn(promised, '2026-03-11', '2026-03-09');
    dueSoon = (await database.db.selectFrom('installments').select('id').where('loan_id', '=', hindi).where('seq', '=', 1).executeTakeFirstOrThrow()).id;

    // Twice at once, then once more: the outbox's unique key keeps one of each.
    const results = await Promise.all([run('plan-reminders'), run('plan-reminders')]);
    await run('plan-reminders');
    const planned = results.map((result) => result.planned as { promises: number; installments: number });
    expect(planned.reduce((sum, p) => sum + p.promises, 0)).toBe(1);
    expect(planned.reduce((sum, p) => sum + p.installments, 0)).toBe(1);

    const rows = await notifications();
    expect(rows.map((row) => [row.dedupe_key, row.status, row.channel])).toEqual([
      [`promise:${promiseId}:PROMISE_DUE_TOMORROW`, 'PENDING', 'webhook'],
      [`installment:${dueSoon}:INSTALLMENT_DUE`, 'PENDING', 'webhook'],
    ]);
    // Made at 07:59 IST: they wait for 08:00 IST.
    expect(rows.every((row) => row.next_attempt_at.toISOString() === ist('2026-03-10', '08:00').toISOString())).toBe(true);
    expect(rows[1]?.language).toBe('hi');
    expect(rows[1]?.message).toContain('किस्त');
    expect(rows[0]?.message).toContain('due tomorrow, 11-03-2026');
    expect(later).toBeGreaterThan(0);
  });

  it('sends nothing at 07:59 IST, everything at 08:00 IST, each once', async () => {
    expect(await run('deliver-notifications')).toMatchObject({ sent: 0 });
    expect(receiver.requests).toHaveLength(0);

    clock = ist('2026-03-10', '08:00');
    expect(await run('deliver-notifications')).toMatchObject({ sent: 2 });
    expect(await run('deliver-notifications')).toMatchObject({ sent: 0 });
    await run('plan-reminders');
    expect(await run('deliver-notifications')).toMatchObject({ sent: 0 });

    expect(receiver.requests.map((request) => request.headers['idempotency-key']).sort()).toEqual(
      [`installment:${dueSoon}:INSTALLMENT_DUE`, `promise:${promiseId}:PROMISE_DUE_TOMORROW`].sort(),
    );
    const hindi = receiver.requests.find((request) => request.body.language === 'hi');
    expect(hindi?.body).toMatchObject({ kind: 'INSTALLMENT_DUE', recipient: '+919876500000', payload: { date: '2026-03-13' } });
    expect((await notifications()).map((row) => [row.status, row.attempts])).toEqual([
      ['SENT', 1],
      ['SENT', 1],
    ]);
  });

  it('on the promised date sends "due today" up to 18:59 IST (and the next installment now 3 days away)', async () => {
    clock = ist('2026-03-11', '18:59');
    const before = receiver.requests.length;
    await run('plan-reminders');
    expect(await run('deliver-notifications')).toMatchObject({ sent: 2 });
    expect(receiver.requests.slice(before).map((request) => [request.body.kind, (request.body.payload as { date: string }).date]).sort()).toEqual([
      ['INSTALLMENT_DUE', '2026-03-14'],
      ['PROMISE_DUE_TODAY', '2026-03-11'],
    ]);
  });

  it('holds anything due at 19:00 IST for 08:00, and lets a reminder whose day has passed lapse', async () => {
    const loanId = await loanWithDues(database, ['2026-03-20'], '2026-03-01');
    const tomorrow = await promiseOn(loanId, '2026-03-12', '2026-03-11');
    clock = ist('2026-03-11', '19:00');
    const sentBefore = receiver.requests.length;
    await run('plan-reminders');
    expect(await run('deliver-notifications')).toMatchObject({ sent: 0 });
    const row = (await notifications()).find((n) => n.dedupe_key === `promise:${tomorrow}:PROMISE_DUE_TOMORROW`);
    expect(row?.next_attempt_at.toISOString()).toBe(ist('2026-03-12', '08:00').toISOString());
    expect(row?.send_by?.toISOString()).toBe(ist('2026-03-11', '19:00').toISOString());

    // "Due tomorrow" cannot go out tomorrow: at 08:00 it expires, and the day's "due today" goes instead.
    clock = ist('2026-03-12', '08:00');
    await run('plan-reminders');
    expect(await run('deliver-notifications')).toMatchObject({ sent: 1, expired: 1 });
    expect(receiver.requests.slice(sentBefore).map((request) => request.body.kind)).toEqual(['PROMISE_DUE_TODAY']);
    expect((await notifications()).find((n) => n.id === row?.id)?.status).toBe('EXPIRED');
  });

  it('does not remind a borrower who has already paid what they promised', async () => {
    const loanId = await loanWithDues(database, ['2026-03-20'], '2026-03-01');
    const paid = await promiseOn(loanId, '2026-03-13', '2026-03-11');
    await payOn(database, loanId, 25_000, '2026-03-11');
    clock = ist('2026-03-12', '10:00');
    await run('plan-reminders');
    expect((await notifications()).filter((n) => n.promise_id === paid)).toEqual([]);
  });

  it('judges the promise the day after its date when the plan runs', async () => {
    clock = ist('2026-03-12', '09:00');
    await run('plan-reminders');
    const judged = await database.db.selectFrom('promises').select(['status', 'resolved_on']).where('id', '=', promiseId).executeTakeFirstOrThrow();
    expect(judged).toEqual({ status: 'BROKEN', resolved_on: '2026-03-12' });
  });
});
