import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, createPromise, deliverDueNotifications, type Channel, type OutgoingNotification } from '@loanops/collections';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { loanWithDues } from '../dpd/helpers.js';
import { ist } from './helpers.js';

/**
 * A reminder already in the outbox is not sent once it no longer applies: its promise was
 * superseded (or judged), or its installment was paid in full, after the plan wrote it.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const today = '2026-03-10';
const now = ist(today, '10:00');

async function promise(loanId: number, amountPaise: number): Promise<number> {
  const made = await createPromise(
    database.db,
    { loanId, amountPaise, promisedOn: '2026-03-12' },
    { actor: { type: 'user', id: 'ops-1', role: 'ops' }, requestId: null, today, now },
  );
  return made.id;
}

async function reminder(key: string, refs: { promise_id?: number; installment_id?: number; loan_id: number }): Promise<number> {
  const row = await database.db
    .insertInto('notifications')
    .values({ kind: 'REMINDER', dedupe_key: key, channel: 'log', recipient: '+919876500000', message: 'Hello', contact_hours: true, next_attempt_at: now, ...refs })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('the outbox', () => {
  it('expires a reminder whose promise was superseded or whose installment was paid, and sends the rest', async () => {
    const loanId = await loanWithDues(database, ['2026-03-05', '2026-04-05'], '2026-03-01');
    const first = await promise(loanId, 10_000);
    const old = await reminder(`promise:${first}:DUE`, { promise_id: first, loan_id: loanId });
    const second = await promise(loanId, 20_000);
    const current = await reminder(`promise:${second}:DUE`, { promise_id: second, loan_id: loanId });
    const [paid, unpaid] = await database.db.selectFrom('installments').select('id').where('loan_id', '=', loanId).orderBy('seq').execute();
    const paidReminder = await reminder(`installment:${paid?.id}:DUE`, { installment_id: paid?.id, loan_id: loanId });
    const unpaidReminder = await reminder(`installment:${unpaid?.id}:DUE`, { installment_id: unpaid?.id, loan_id: loanId });
    await database.db
      .updateTable('installments')
      .set((eb) => ({ principal_paid_paise: eb.ref('principal_due_paise'), interest_paid_paise: eb.ref('interest_due_paise'), paid_on: today }))
      .where('id', '=', paid?.id as number)
      .execute();

    const sent: OutgoingNotification[] = [];
    const capture: Channel = { send: async (notification) => void sent.push(notification) };
    const counts = await deliverDueNotifications(database.db, {
      channels: { log: capture, webhook: capture, legal: capture },
      policy: DEFAULT_RETRY_POLICY,
      borrowerMessagesEnabled: true,
      logger: pino({ level: 'silent' }),
      now: () => now,
    });

    expect(sent.map((notification) => notification.id).sort()).toEqual([current, unpaidReminder].sort());
    expect(counts).toMatchObject({ sent: 2, expired: 2 });
    const statuses = await database.db.selectFrom('notifications').select(['id', 'status']).where('id', 'in', [old, paidReminder]).execute();
    expect(statuses.map((row) => row.status)).toEqual(['EXPIRED', 'EXPIRED']);
  });
});
