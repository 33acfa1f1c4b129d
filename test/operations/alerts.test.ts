import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerter, logSink, webhookSink, type Alerter } from '@loanops/observability';
import { paymentJobId } from '@loanops/queues';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { startTestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { alertOnFailure } from '../../apps/worker/src/instrument.js';

/**
 * The critical alerts reach a Slack-compatible webhook (a receiver this test runs), each kind
 * throttled on its own.
 */
let database: TestDatabase;
let redis: TestRedis;
let receiver: AlertReceiver;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis();
  receiver = await startAlertReceiver();
});
afterAll(async () => {
  await receiver.close();
  await redis.cleanup();
  await database.drop();
});

function webhookAlerter(throttleMs: number, now?: () => number): Alerter {
  return createAlerter({ sinks: [logSink(logger), webhookSink(receiver.url)], logger, throttleMs, ...(now ? { now } : {}) });
}

describe('alerts', () => {
  it('posts Slack-compatible JSON and throttles each kind on its own, counting what it held back', async () => {
    receiver.received.length = 0;
    let clock = 1_000_000;
    const alerter = webhookAlerter(60_000, () => clock);
    alerter.alert('job-failed', 'first failure', { queue: 'dpd' });
    alerter.alert('job-failed', 'second failure');
    alerter.alert('job-failed', 'third failure');
    alerter.alert('payment-processing-error', 'posting failed');
    await alerter.flush();
    expect(receiver.received.map((alert) => alert.kind).sort()).toEqual(['job-failed', 'payment-processing-error']);
    const first = receiver.ofKind('job-failed')[0];
    expect(first?.text).toBe('[LoanOps] job-failed: first failure');
    expect(first?.details).toEqual({ queue: 'dpd' });

    clock += 60_000;
    alerter.alert('job-failed', 'fourth failure');
    await alerter.flush();
    expect(receiver.ofKind('job-failed').map((alert) => alert.text)).toEqual([
      '[LoanOps] job-failed: first failure',
      '[LoanOps] job-failed: fourth failure (2 more since the last alert)',
    ]);
  });

  it('never throttles the database lost and restored alerts: a second outage soon after a first is reported', async () => {
    receiver.received.length = 0;
    const alerter = webhookAlerter(60_000, () => 1_000_000);
    for (const kind of ['database-connection-lost', 'database-connection-restored', 'database-connection-lost'] as const) {
      alerter.alert(kind, kind);
    }
    await alerter.flush();
    expect(receiver.received.map((alert) => alert.kind).sort()).toEqual([
      'database-connection-lost',
      'database-connection-lost',
      'database-connection-restored',
    ]);
  });

  it('alerts when a job fails for good and when posting a payment fails', async () => {
    receiver.received.length = 0;
    const alerter = webhookAlerter(0);
    const worker = startTestWorker(database, redis.url, redis.prefix, { alerter });
    try {
      // An intake that does not exist cannot be posted: UnrecoverableError, no retry.
      const intakeId = '00000000-0000-4000-8000-000000000001';
      await redis.queues.add('payments', 'post-payment', { intakeId }, { jobId: paymentJobId(intakeId) });
      await waitFor(() => receiver.ofKind('job-failed').length > 0, { what: 'the job-failed alert', timeoutMs: 20_000 });
      await alerter.flush();
      const failed = receiver.ofKind('job-failed')[0];
      expect(failed?.text).toContain('payments job post-payment');
      expect(failed?.details).toMatchObject({ queue: 'payments', jobName: 'post-payment', attemptsMade: 1 });
      expect(receiver.ofKind('payment-processing-error')[0]?.text).toContain(`no payment intake ${intakeId}`);
    } finally {
      await worker.closeAll();
    }
  });

  it('raises job-failed only once the retries are used up', async () => {
    receiver.received.length = 0;
    const alerter = webhookAlerter(0);
    // Every posting attempt fails with an ordinary (retryable) error: the intake table is out of the
    // way (the worker still reads its queue controls, so it starts taking jobs).
    await sql`ALTER TABLE payment_intake RENAME TO payment_intake_away`.execute(database.db);
    const worker = startTestWorker(database, redis.url, redis.prefix, { alerter });
    try {
      const intakeId = '00000000-0000-4000-8000-000000000003';
      await redis.queues.add('payments', 'post-payment', { intakeId }, { jobId: `retry-${intakeId}`, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      await waitFor(() => receiver.ofKind('job-failed').length > 0, { what: 'the alert after the last attempt', timeoutMs: 20_000 });
      await alerter.flush();
      expect(receiver.ofKind('payment-processing-error')).toHaveLength(3);
      expect(receiver.ofKind('job-failed')).toHaveLength(1);
      expect(receiver.ofKind('job-failed')[0]?.details).toMatchObject({ queue: 'payments', attemptsMade: 3 });
    } finally {
      await worker.closeAll();
      await sql`ALTER TABLE payment_intake_away RENAME TO payment_intake`.execute(database.db);
    }
  });

  it('alerts on a burst of unauthorized requests and on the financial guard', async () => {
    receiver.received.length = 0;
    const alerter = webhookAlerter(60_000);
    const api = await startTestApi(database, redis.queues, { alerter, unauthorizedBurstPerMinute: 3 });
    try {
      for (let i = 0; i < 6; i += 1) expect((await api.request('GET', '/v1/audit', { role: null })).status).toBe(401);
      const loanId = await insertLoan(database);
      const refused = await api.request('PATCH', `/v1/loans/${loanId}`, { role: 'ops', body: { principalPaise: 1 } });
      expect(refused.status).toBe(403);
      await waitFor(() => receiver.ofKind('financial-guard-triggered').length > 0, { what: 'the guard alert' });
      await alerter.flush();
      // Three bursts over the limit (4th, 5th, 6th answer, and the guard's 403), one alert sent.
      expect(receiver.ofKind('unauthorized-burst')).toHaveLength(1);
      expect(receiver.ofKind('unauthorized-burst')[0]?.text).toContain('4 unauthorized requests in the last minute');
      expect(receiver.ofKind('financial-guard-triggered')[0]?.text).toContain('principalPaise');
    } finally {
      await api.close();
    }
  });

  it('leaves a lost database connection out of payment-processing-error (database-connection-lost says it once)', () => {
    const raised: string[] = [];
    const recorder = { alert: (kind: string) => raised.push(kind) } as unknown as Alerter;
    const job = { name: 'post-payment', id: 'p-1', attemptsMade: 1, opts: { attempts: 5 } } as never;
    const lost = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    alertOnFailure(recorder, 'payments', job, lost);
    alertOnFailure(recorder, 'payments', job, new Error('Connection terminated unexpectedly'));
    expect(raised).toEqual([]);
    alertOnFailure(recorder, 'payments', job, new Error('no payment intake 42'));
    expect(raised).toEqual(['payment-processing-error']);
  });
});
