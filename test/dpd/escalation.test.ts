import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '@loanops/domain';
import { escalateEligibleLoans } from '@loanops/dpd';
import { escalationJobId } from '@loanops/queues';
import { startReceiver, type Receiver } from '../collections/receiver.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { captureLog } from '../support/log.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { loanWithDues, newCustomerRef, runDpd, standingOf } from './helpers.js';

const D = '2026-04-15';
let database: TestDatabase;
let redis: TestRedis;
let worker: ReturnType<typeof startTestWorker> | undefined;

function startWorker(dpd: { escalationEnabled?: boolean; escalationDpd?: number } = {}) {
  worker = startTestWorker(database, redis.url, redis.prefix, { queues: ['dpd', 'escalation'], dpd });
}
async function stopWorker() {
  await worker?.closeAll();
  worker = undefined;
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
});
afterAll(async () => {
  await stopWorker();
  await redis.cleanup();
  await database.drop();
});

/** Waits for a run's escalation job to complete; its result. */
async function escalationOf(runId: number, jobId = escalationJobId(runId)) {
  const queue = redis.queues.get('escalation');
  await waitFor(async () => (await queue.getJobState(jobId)) === 'completed', { what: `escalation job ${jobId}` });
  // Read once completed: a job read while active carries no return value.
  const job = await Job.fromId(queue, jobId);
  return job?.returnvalue as { escalated: number; enabled: boolean };
}

async function casesOf(loanId: number) {
  return database.db.selectFrom('legal_cases').selectAll().where('loan_id', '=', loanId).execute();
}

async function notificationsOf(loanId: number) {
  return database.db.selectFrom('notifications').selectAll().where('loan_id', '=', loanId).execute();
}

async function escalationAudit(loanId: number) {
  return database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', 'LEGAL_CASE_OPENED')
    .where('entity_id', '=', String(loanId))
    .execute();
}

describe('escalation to the legal team', () => {
  let reached: number;
  let notYet: number;

  it('opens one legal case for a loan that reached DPD 90: status LEGAL, audited, the legal team notified', async () => {
    startWorker();
    reached = await loanWithDues(database, [addDays(D, -90)], addDays(D, -1));
    notYet = await loanWithDues(database, [addDays(D, -89)], addDays(D, -1));
    const run = await runDpd(database, redis.queues, D);
    expect(await escalationOf(run.id)).toEqual({ escalated: 1, enabled: true });

    expect(await standingOf(database, reached)).toMatchObject({ status: 'LEGAL', dpd: 90, bucket: 'SMA-2' });
    expect(await standingOf(database, notYet)).toMatchObject({ status: 'ACTIVE', dpd: 89 });
    const [legalCase, ...more] = await casesOf(reached);
    expect(more).toEqual([]);
    expect(legalCase).toMatchObject({ status: 'OPEN', opened_on: D, dpd_at_opening: 90, run_id: run.id, outstanding_at_opening_paise: 110_000 });
    expect(await casesOf(notYet)).toEqual([]);

    const [notification] = await notificationsOf(reached);
    expect(notification).toMatchObject({
      kind: 'LEGAL_CASE_OPENED',
      dedupe_key: `legal-case:${legalCase?.id}:opened`,
      // Routed when delivered: LEGAL_NOTIFY_WEBHOOK_URL when set, else the log.
      channel: 'legal',
      recipient: 'legal-team',
      legal_case_id: legalCase?.id,
      status: 'PENDING',
    });
    const [audit] = await escalationAudit(reached);
    expect(audit).toMatchObject({ actor_type: 'system', entity_type: 'loan' });
    expect(audit?.before).toMatchObject({ status: 'ACTIVE', dpd: 90 });
    expect(audit?.after).toEqual({ status: 'LEGAL', legalCaseId: legalCase?.id });
    const closed = await database.db.selectFrom('job_runs').select('escalations').where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(closed.escalations).toBe(1);
  });

  it('opens no second case when the escalation job runs twice, or twice at once', async () => {
    const [run] = await database.db.selectFrom('job_runs').select(['id', 'business_date']).where('business_date', '=', D).execute();
    const runId = run?.id as number;
    await redis.queues.add('escalation', 'escalate', { runId, businessDate: D }, { jobId: `${escalationJobId(runId)}-again` });
    expect(await escalationOf(runId, `${escalationJobId(runId)}-again`)).toEqual({ escalated: 0, enabled: true });

    // Another loan becomes eligible; two escalations race for it.
    const racing = await loanWithDues(database, [addDays(D, -120)], addDays(D, -1));
    const settings = { escalationDpd: 90, actorId: 'test' };
    const [a, b] = await Promise.all([
      escalateEligibleLoans(database.db, { runId, businessDate: D }, settings),
      escalateEligibleLoans(database.db, { runId, businessDate: D }, settings),
    ]);
    expect(a.length + b.length).toBe(1);
    for (const loanId of [reached, racing]) {
      expect(await casesOf(loanId)).toHaveLength(1);
      expect(await notificationsOf(loanId)).toHaveLength(1);
      expect(await escalationAudit(loanId)).toHaveLength(1);
      expect(await standingOf(database, loanId)).toMatchObject({ status: 'LEGAL' });
    }
    const counted = await database.db.selectFrom('job_runs').select('escalations').where('id', '=', runId).executeTakeFirstOrThrow();
    expect(counted.escalations).toBe(2);
  });

  it('escalates nothing with ESCALATION_ENABLED=false, and the next enabled run takes the loans left', async () => {
    await stopWorker();
    startWorker({ escalationEnabled: false });
    const D1 = addDays(D, 1);
    const run = await runDpd(database, redis.queues, D1);
    // notYet reached 90 on D1; escalation is off.
    expect(await standingOf(database, notYet)).toMatchObject({ status: 'ACTIVE', dpd: 90 });
    expect(await escalationOf(run.id)).toEqual({ escalated: 0, enabled: false });
    expect(await casesOf(notYet)).toEqual([]);

    await stopWorker();
    startWorker();
    // It reached 90 a day before this run, not on it: still taken.
    const next = await runDpd(database, redis.queues, addDays(D, 2));
    expect(await escalationOf(next.id)).toEqual({ escalated: 1, enabled: true });
    expect(await standingOf(database, notYet)).toMatchObject({ status: 'LEGAL', dpd: 91 });
    expect(await casesOf(notYet)).toMatchObject([{ status: 'OPEN', opened_on: addDays(D, 2), dpd_at_opening: 91 }]);
  });

  it('escalates at the configured ESCALATION_DPD', async () => {
    await stopWorker();
    startWorker({ escalationDpd: 45 });
    const at45 = await loanWithDues(database, [addDays(D, -42)], addDays(D, 2));
    const at44 = await loanWithDues(database, [addDays(D, -41)], addDays(D, 2));
    const run = await runDpd(database, redis.queues, addDays(D, 3));
    expect(await escalationOf(run.id)).toEqual({ escalated: 1, enabled: true });
    expect(await standingOf(database, at45)).toMatchObject({ status: 'LEGAL', dpd: 45 });
    expect(await standingOf(database, at44)).toMatchObject({ status: 'ACTIVE', dpd: 44 });
  });
});

describe('GET /v1/legal-cases', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(database, redis.queues);
  });
  afterAll(async () => {
    await api.close();
  });

  it('is for the legal team and admins', async () => {
    for (const role of ['legal', 'admin'] as const) expect((await api.request('GET', '/v1/legal-cases', { role })).status).toBe(200);
    for (const role of ['ops', 'finance', 'collector'] as const) {
      const response = await api.request('GET', '/v1/legal-cases', { role });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect((await api.request('GET', '/v1/legal-cases', { role: null })).status).toBe(401);
  });

  it('lists cases with the loan and borrower, filtered, a page at a time', async () => {
    const all = await api.request('GET', '/v1/legal-cases?status=OPEN', { role: 'legal' });
    const items = (all.body as { items: { id: number; loan: { id: number; status: string }; borrower: { name: string } }[] }).items;
    expect(items).toHaveLength(4);
    expect(items.every((item) => item.loan.status === 'LEGAL' && item.borrower.name === 'Test Borrower')).toBe(true);
    expect(items.map((item) => item.id)).toEqual([...items.map((item) => item.id)].sort((x, y) => x - y));

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await api.request('GET', `/v1/legal-cases?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { role: 'legal' });
      const body = page.body as { items: { id: number }[]; nextCursor: string | null };
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(items.map((item) => item.id));

    const first = items[0] as (typeof items)[number];
    const byLoan = await api.request('GET', `/v1/legal-cases?loanId=${first.loan.id}`, { role: 'admin' });
    expect((byLoan.body as { items: unknown[] }).items).toMatchObject([{ id: first.id }]);
    const byDate = await api.request('GET', `/v1/legal-cases?openedFrom=${addDays(D, 1)}&openedTo=${addDays(D, 2)}`, { role: 'legal' });
    expect((byDate.body as { items: { openedOn: string }[] }).items.map((item) => item.openedOn)).toEqual([addDays(D, 2)]);
    const closed = await api.request('GET', '/v1/legal-cases?status=CLOSED', { role: 'legal' });
    expect((closed.body as { items: unknown[] }).items).toEqual([]);
  });

  it('refuses a malformed query', async () => {
    const response = await api.request('GET', '/v1/legal-cases?status=PENDING&openedFrom=2026-02-30&colour=red', { role: 'legal' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
  });
});

describe('a borrower with a loan escalated', () => {
  it('keeps its other loans ACTIVE (escalation is per loan)', async () => {
    const ref = newCustomerRef();
    await stopWorker();
    startWorker();
    const sick = await loanWithDues(database, [addDays(D, -100)], addDays(D, 3), { customerRef: ref });
    const healthy = await loanWithDues(database, [addDays(D, 30)], addDays(D, 3), { customerRef: ref });
    const run = await runDpd(database, redis.queues, addDays(D, 4));
    await escalationOf(run.id);
    expect(await standingOf(database, sick)).toMatchObject({ status: 'LEGAL', bucket: 'NPA' });
    expect(await standingOf(database, healthy)).toMatchObject({ status: 'ACTIVE', bucket: 'NPA', dpd: 0 });
  });
});

describe('the legal team’s notification of a case opened', () => {
  let legal: Receiver;
  let reminders: Receiver;
  beforeAll(async () => {
    legal = await startReceiver();
    reminders = await startReceiver();
  });
  afterAll(async () => {
    await stopWorker();
    await legal.close();
    await reminders.close();
  });

  /** Escalates a loan 100 days past due on `date` with the DPD, escalation and reminders queues served as given. */
  async function escalateOne(date: string, collections: { legalWebhookUrl?: string }, logger?: ReturnType<typeof captureLog>['logger']) {
    await stopWorker();
    worker = startTestWorker(database, redis.url, redis.prefix, {
      queues: ['dpd', 'escalation', 'reminders'],
      collections: { webhookUrl: reminders.url, pollMs: 100, ...collections },
      ...(logger ? { logger } : {}),
    });
    await worker.ready;
    const loanId = await loanWithDues(database, [addDays(date, -100)], addDays(date, -1));
    const run = await runDpd(database, redis.queues, date);
    await escalationOf(run.id);
    const [legalCase] = await casesOf(loanId);
    const [notification] = await notificationsOf(loanId);
    const loan = await database.db.selectFrom('loans').select('loan_number').where('id', '=', loanId).executeTakeFirstOrThrow();
    await waitFor(
      async () =>
        (await database.db.selectFrom('notifications').select('status').where('id', '=', notification?.id as number).executeTakeFirstOrThrow())
          .status === 'SENT',
      { what: 'the legal notification to be SENT' },
    );
    const key = `legal-case:${legalCase?.id}:opened`;
    const payload = {
      legalCaseId: legalCase?.id,
      loanId,
      loanNumber: loan.loan_number,
      dpd: 100,
      outstandingPaise: 110_000,
      openedOn: date,
    };
    return { key, payload, notificationId: notification?.id as number };
  }

  const requestsFor = (receiver: Receiver, key: string) => receiver.requests.filter((request) => request.headers['idempotency-key'] === key);

  it('goes to the log when LEGAL_NOTIFY_WEBHOOK_URL is unset, not to the reminders’ webhook', async () => {
    const { logger, lines } = captureLog();
    const { key, payload, notificationId } = await escalateOne(addDays(D, 5), {}, logger);
    expect(lines.filter((line) => line.notificationId === notificationId)).toMatchObject([
      { msg: 'notification LEGAL_CASE_OPENED', kind: 'LEGAL_CASE_OPENED', recipient: 'legal-team', payload },
    ]);
    expect(requestsFor(reminders, key)).toEqual([]);
    expect(requestsFor(legal, key)).toEqual([]);
  });

  it('is POSTed to LEGAL_NOTIFY_WEBHOOK_URL when set, with the legal payload and its Idempotency-Key', async () => {
    const { key, payload } = await escalateOne(addDays(D, 6), { legalWebhookUrl: legal.url });
    const received = requestsFor(legal, key);
    expect(received).toHaveLength(1);
    expect(received[0]?.body).toMatchObject({ kind: 'LEGAL_CASE_OPENED', dedupeKey: key, recipient: 'legal-team', payload });
    expect(requestsFor(reminders, key)).toEqual([]);
  });
});
