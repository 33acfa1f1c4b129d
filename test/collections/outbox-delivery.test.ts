import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDays, businessToday } from '@loanops/domain';
import { escalateEligibleLoans } from '@loanops/dpd';
import { DELIVERY_SCHEDULER_ID } from '@loanops/queues';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { ist } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * The outbox delivered by the reminders worker's own schedule (every 100 ms here) to a webhook
 * receiver this test starts: retries with growing waits, then DEAD; a refusal is DEAD at once; a
 * receiver that never answers times out. The clock runs from 10:00 IST tomorrow so borrower messages may go.
 */
let database: TestDatabase;
let redis: TestRedis;
let receiver: Receiver;
let legalReceiver: Receiver | undefined;
let worker: ReturnType<typeof startTestWorker> | undefined;
let loanId: number;
let seq = 0;

// Tomorrow 10:00 IST and running: ahead of the database's now(), which stamps rows written without a time.
const offset = ist(addDays(businessToday(), 1), '10:00').getTime() - Date.now();
const clock = () => new Date(Date.now() + offset);

beforeAll(async () => {
  database = await createTestDatabase();
  loanId = await insertLoan(database);
});
afterAll(async () => {
  await database.drop();
});
afterEach(async () => {
  await worker?.closeAll();
  worker = undefined;
  await receiver.close();
  await legalReceiver?.close();
  legalReceiver = undefined;
  await redis.cleanup();
});

async function start(
  answer: Receiver['answer'],
  options: { remindersEnabled?: boolean; timeoutMs?: number; legalWebhook?: boolean; now?: () => Date; claimMs?: number } = {},
) {
  redis = await createTestRedis();
  receiver = await startReceiver(answer);
  if (options.legalWebhook) legalReceiver = await startReceiver();
  worker = startTestWorker(database, redis.url, redis.prefix, {
    queues: ['reminders'],
    collections: {
      now: options.now ?? clock,
      webhookUrl: receiver.url,
      legalWebhookUrl: legalReceiver?.url,
      ...(options.claimMs !== undefined ? { claimMs: options.claimMs } : {}),
      webhookTimeoutMs: options.timeoutMs ?? 2_000,
      pollMs: 100,
      retry: { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 10_000 },
      remindersEnabled: options.remindersEnabled ?? true,
    },
  });
  await worker.ready;
}

/** A borrower reminder in the outbox, as the plan writes it. */
async function reminder(channel: 'webhook' | 'log' = 'webhook', key = 'installment'): Promise<number> {
  seq += 1;
  const row = await database.db
    .insertInto('notifications')
    .values({
      kind: 'INSTALLMENT_DUE',
      dedupe_key: `${key}:test-${seq}:INSTALLMENT_DUE`,
      channel,
      recipient: '+919876500000',
      loan_id: loanId,
      payload: JSON.stringify({ seq }),
      message: 'Hello',
      contact_hours: true,
      next_attempt_at: clock(),
      max_attempts: 3,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const requestsFor = (to: Receiver, key: string) => to.requests.filter((request) => request.headers['idempotency-key'] === key);

/** A loan 100 days past due, escalated as the escalation worker does: the legal team is notified through the outbox. */
async function legalCaseOpened(): Promise<{ notificationId: number; key: string; loanId: number; caseId: number }> {
  const today = businessToday();
  const overdue = await insertLoan(database, { disbursedOn: addDays(today, -130), firstDueOn: addDays(today, -100) });
  const [opened] = await escalateEligibleLoans(database.db, { runId: null, businessDate: today }, { escalationDpd: 90, actorId: 'test' });
  expect(opened?.loanId).toBe(overdue);
  const caseId = opened?.caseId as number;
  const notification = await database.db.selectFrom('notifications').select(['id', 'dedupe_key']).where('legal_case_id', '=', caseId).executeTakeFirstOrThrow();
  return { notificationId: notification.id, key: notification.dedupe_key, loanId: overdue, caseId };
}

const row = (id: number) =>
  database.db.selectFrom('notifications').select(['status', 'attempts', 'last_error', 'sent_at']).where('id', '=', id).executeTakeFirstOrThrow();

describe('notification delivery', () => {
  it('retries a failing webhook with growing waits, then dead-letters it after the last attempt', async () => {
    await start(() => 500);
    const queue = redis.queues.get('reminders');
    expect(await queue.getJobScheduler(DELIVERY_SCHEDULER_ID)).toMatchObject({ every: 100 });
    const id = await reminder();
    const dead = await waitFor(async () => {
      const current = await row(id);
      return current.status === 'DEAD' ? current : undefined;
    }, { what: 'the notification to be DEAD' });
    expect(dead).toMatchObject({ attempts: 3, last_error: 'webhook answered 500', sent_at: null });
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((request) => request.headers['idempotency-key']))).toEqual(new Set([`installment:test-${seq}:INSTALLMENT_DUE`]));
    const [first, second, third] = receiver.requests.map((request) => request.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(300);
    expect(third - second).toBeGreaterThanOrEqual(600);
    // DEAD is final: nothing more is tried.
    const seen = receiver.requests.length;
    await queue.add('deliver-notifications', {});
    await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) > 5, { what: 'more delivery runs' });
    expect(receiver.requests).toHaveLength(seen);
  });

  it('delivers on a later attempt once the receiver recovers', async () => {
    await start((index) => (index < 2 ? 503 : 200));
    const id = await reminder();
    const sent = await waitFor(async () => {
      const current = await row(id);
      return current.status === 'SENT' ? current : undefined;
    }, { what: 'the notification to be SENT' });
    expect(sent).toMatchObject({ attempts: 3, last_error: null });
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.requests[2]?.body).toMatchObject({ kind: 'INSTALLMENT_DUE', message: 'Hello', payload: { seq } });
  });

  it('dead-letters at once what the receiver refuses (400)', async () => {
    await start(() => 400);
    const id = await reminder();
    await waitFor(async () => (await row(id)).status === 'DEAD', { what: 'DEAD' });
    expect(await row(id)).toMatchObject({ attempts: 1, last_error: 'webhook answered 400' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer within the timeout, and tries again', async () => {
    await start(() => 'hang', { timeoutMs: 200 });
    const id = await reminder();
    await waitFor(async () => (await row(id)).attempts >= 1, { what: 'a first attempt' });
    expect(await row(id)).toMatchObject({ status: 'PENDING', last_error: 'webhook no answer within 200 ms' });
  });

  it('sends each notification once with two workers delivering at once', async () => {
    await start(() => 200);
    const second = startTestWorker(database, redis.url, redis.prefix, {
      queues: ['reminders'],
      collections: { now: clock, webhookUrl: receiver.url, pollMs: 100, retry: { maxAttempts: 3, baseDelayMs: 300, maxDelayMs: 10_000 } },
    });
    try {
      await second.ready;
      const ids = await Promise.all(Array.from({ length: 30 }, () => reminder()));
      // Two deliveries at once besides the scheduled ones, on top of the two workers.
      const queue = redis.queues.get('reminders');
      await Promise.all([queue.add('deliver-notifications', {}), queue.add('deliver-notifications', {})]);
      await waitFor(
        async () => {
          const rows = await database.db.selectFrom('notifications').select('status').where('id', 'in', ids).execute();
          return rows.every((r) => r.status === 'SENT');
        },
        { what: 'all 30 to be SENT' },
      );
      const ours = new Set(
        (await database.db.selectFrom('notifications').select('dedupe_key').where('id', 'in', ids).execute()).map((r) => r.dedupe_key),
      );
      // (A notification left pending by an earlier test may go too; only these 30 are counted.)
      const keys = receiver.requests.map((request) => String(request.headers['idempotency-key'])).filter((key) => ours.has(key));
      expect(keys).toHaveLength(30);
      expect(new Set(keys).size).toBe(30);
    } finally {
      await second.closeAll();
    }
  });

  it('with REMINDERS_ENABLED=false still delivers the legal team’s notifications, and holds borrowers’', async () => {
    await start(() => 200, { remindersEnabled: false });
    const borrowerId = await reminder('log');
    const { notificationId: legalId } = await legalCaseOpened();
    await waitFor(async () => (await row(legalId)).status === 'SENT', { what: 'the legal notification to be SENT' });
    const queue = redis.queues.get('reminders');
    const runs = (await queue.getJobCounts('completed')).completed ?? 0;
    await waitFor(async () => ((await queue.getJobCounts('completed')).completed ?? 0) > runs + 2, { what: 'more delivery runs' });
    expect(await row(borrowerId)).toMatchObject({ status: 'PENDING', attempts: 0 });
  });
  it('sends a legal case opened before LEGAL_NOTIFY_WEBHOOK_URL was set to it once set, at night and with REMINDERS_ENABLED=false', async () => {
    // Written by escalation with no delivering worker about: the destination is chosen when it goes out.
    const { notificationId, key, loanId, caseId } = await legalCaseOpened();
    expect(await database.db.selectFrom('notifications').select('channel').where('id', '=', notificationId).executeTakeFirstOrThrow()).toEqual({
      channel: 'legal',
    });
    const night = ist(addDays(businessToday(), 1), '23:00').getTime() - Date.now();
    await start(() => 200, { legalWebhook: true, remindersEnabled: false, now: () => new Date(Date.now() + night) });
    await waitFor(async () => (await row(notificationId)).status === 'SENT', { what: 'the legal notification to be SENT' });
    const received = requestsFor(legalReceiver as Receiver, key);
    expect(received).toHaveLength(1);
    expect(received[0]?.body).toMatchObject({
      kind: 'LEGAL_CASE_OPENED',
      recipient: 'legal-team',
      payload: { legalCaseId: caseId, loanId, dpd: 100, openedOn: businessToday() },
    });
    expect(requestsFor(receiver, key)).toEqual([]);
  });

  it('records each delivered notification as SENT on its own: one that cannot be recorded does not send the rest of its batch again', async () => {
    // The database refuses to record one notification of the batch as SENT, after the channel has delivered it.
    await sql`
      CREATE FUNCTION refuse_to_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'SENT' AND NEW.dedupe_key LIKE 'unrecordable:%' THEN RAISE EXCEPTION 'could not record'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_to_record BEFORE UPDATE ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_to_record();
    `.execute(database.db);
    let unrecordable: number;
    let ids: number[];
    try {
      ids = [];
      for (let i = 0; i < 5; i += 1) ids.push(await reminder());
      unrecordable = await reminder('webhook', 'unrecordable');
      ids.push(await reminder());
      const keyOf = async (id: number) =>
        (await database.db.selectFrom('notifications').select('dedupe_key').where('id', '=', id).executeTakeFirstOrThrow()).dedupe_key;
      const keys = await Promise.all(ids.map(keyOf));
      const unrecordableKey = await keyOf(unrecordable);
      await start(() => 200, { claimMs: 500 });
      // Delivered, not recorded, and so delivered again once its claim lapses (at least once).
      await waitFor(() => requestsFor(receiver, unrecordableKey).length >= 2, { what: 'the unrecordable notification to go twice' });
      expect(keys.map((key) => requestsFor(receiver, key).length)).toEqual(keys.map(() => 1));
      const statuses = await database.db.selectFrom('notifications').select('status').where('id', 'in', ids).execute();
      expect(statuses.map((r) => r.status)).toEqual(ids.map(() => 'SENT'));
      expect(await row(unrecordable)).toMatchObject({ status: 'PENDING', sent_at: null });
    } finally {
      await sql`DROP TRIGGER refuse_to_record ON notifications; DROP FUNCTION refuse_to_record()`.execute(database.db);
    }
    await waitFor(async () => (await row(unrecordable)).status === 'SENT', { what: 'the unrecordable notification to be SENT once it can be' });
    const keys = (await database.db.selectFrom('notifications').select('dedupe_key').where('id', 'in', ids).execute()).map((r) => r.dedupe_key);
    expect(keys.map((key) => requestsFor(receiver, key).length)).toEqual(keys.map(() => 1));
  });
});
