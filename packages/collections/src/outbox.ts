import { sql, type Kysely } from 'kysely';
import type { Database } from '@loanops/db';
import { coerceError, type Logger } from '@loanops/runtime';
import { DeliveryError, type Channels } from './channels.js';
import { isWithinContactHours, nextContactTime } from './rules/contact-hours.js';
import { afterFailedAttempt, type RetryPolicy } from './rules/delivery.js';

export interface DeliverySettings {
  channels: Channels;
  policy: RetryPolicy;
  /** REMINDERS_ENABLED: when false, borrower-facing notifications wait (and lapse at their deadline); the rest go. */
  borrowerMessagesEnabled: boolean;
  logger: Logger;
  now?: () => Date;
  /** Notifications claimed per transaction (sent at once). */
  batchSize?: number;
}

export interface DeliveryCounts {
  sent: number;
  retrying: number;
  dead: number;
  expired: number;
  /** Borrower-facing notifications that came up outside contact hours and were moved to the next 08:00 IST. */
  deferred: number;
}

/**
 * Delivers what is due in the notifications outbox. Lapsed reminders (past `send_by`) and those
 * that no longer apply (promise no longer open, installment paid) are marked EXPIRED; the rest are claimed a batch at a time (FOR UPDATE SKIP LOCKED, so any number of workers
 * share the outbox without sending one twice), sent through their channel, and marked SENT, or
 * tried again after a backoff, or DEAD after the last attempt or a permanent refusal. A
 * borrower-facing notification is sent only within contact hours (08:00–19:00 IST).
 *
 * Delivery is at least once: a process that dies between the receiver's answer and the commit
 * sends that notification again, with the same Idempotency-Key.
 */
export async function deliverDueNotifications(db: Kysely<Database>, settings: DeliverySettings): Promise<DeliveryCounts> {
  const now = settings.now ?? (() => new Date());
  const batchSize = settings.batchSize ?? 50;
  const counts: DeliveryCounts = { sent: 0, retrying: 0, dead: 0, expired: 0, deferred: 0 };
  const expired = await db
    .updateTable('notifications')
    .set({ status: 'EXPIRED', last_error: 'not sent before its deadline' })
    .where('status', '=', 'PENDING')
    .where('send_by', '<', now())
    .executeTakeFirst();
  // A reminder planned earlier that no longer applies is not sent: its promise was superseded,
  // kept or broken since, or its installment has been paid in full since.
  const moot = await sql`
    UPDATE notifications AS n SET status = 'EXPIRED', last_error = 'no longer applies'
    WHERE n.status = 'PENDING'
      AND (
        EXISTS (SELECT 1 FROM promises p WHERE p.id = n.promise_id AND p.status <> 'OPEN')
        OR EXISTS (
          SELECT 1 FROM installments i
          WHERE i.id = n.installment_id
            AND i.principal_paid_paise >= i.principal_due_paise AND i.interest_paid_paise >= i.interest_due_paise
        )
      )`.execute(db);
  counts.expired = Number(expired.numUpdatedRows) + Number(moot.numAffectedRows ?? 0n);

  for (;;) {
    const claimed = await db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('notifications')
        .select(['id', 'kind', 'dedupe_key', 'channel', 'recipient', 'language', 'message', 'payload', 'attempts', 'max_attempts', 'contact_hours'])
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', now())
        .where((eb) => eb.or([eb('send_by', 'is', null), eb('send_by', '>=', now())]));
      if (!settings.borrowerMessagesEnabled) query = query.where('contact_hours', '=', false);
      const rows = await query.orderBy('next_attempt_at').orderBy('id').limit(batchSize).forUpdate().skipLocked().execute();

      const sentIds: number[] = [];
      await Promise.all(
        rows.map(async (row) => {
          const at = now();
          if (row.contact_hours && !isWithinContactHours(at)) {
            counts.deferred += 1;
            await trx.updateTable('notifications').set({ next_attempt_at: nextContactTime(at) }).where('id', '=', row.id).execute();
            return;
          }
          const attempts = row.attempts + 1;
          try {
            await settings.channels[row.channel].send({
              id: row.id,
              kind: row.kind,
              dedupeKey: row.dedupe_key,
              recipient: row.recipient,
              language: row.language,
              message: row.message,
              payload: row.payload,
            });
            counts.sent += 1;
            sentIds.push(row.id);
          } catch (error) {
            const failure =
              error instanceof DeliveryError
                ? { permanent: error.permanent, message: error.message }
                : { permanent: false, message: coerceError(error).message };
            const next = afterFailedAttempt(
              attempts,
              failure,
              { ...settings.policy, maxAttempts: Math.min(settings.policy.maxAttempts, row.max_attempts) },
              now(),
              row.contact_hours ? nextContactTime : undefined,
            );
            const level = next.status === 'DEAD' ? 'error' : 'warn';
            settings.logger[level](
              { notificationId: row.id, kind: row.kind, channel: row.channel, attempts, error: failure.message },
              next.status === 'DEAD' ? 'notification dead-lettered' : 'notification delivery failed; will retry',
            );
            if (next.status === 'DEAD') counts.dead += 1;
            else counts.retrying += 1;
            await trx
              .updateTable('notifications')
              .set({
                status: next.status,
                attempts,
                last_error: failure.message.slice(0, 500),
                ...(next.status === 'PENDING' ? { next_attempt_at: next.nextAttemptAt } : {}),
              })
              .where('id', '=', row.id)
              .execute();
          }
        }),
      );
      if (sentIds.length > 0) {
        await trx
          .updateTable('notifications')
          .set((eb) => ({ status: 'SENT', attempts: eb('attempts', '+', 1), sent_at: now(), last_error: null }))
          .where('id', 'in', sentIds)
          .execute();
      }
      return rows.length;
    });
    if (claimed < batchSize) return counts;
  }
}

export interface OutboxCounts {
  PENDING: number;
  SENT: number;
  DEAD: number;
  EXPIRED: number;
}

/** How many notifications are in each state (for the worker's log line and tests). */
export async function outboxCounts(db: Kysely<Database>): Promise<OutboxCounts> {
  const rows = await sql<{ status: keyof OutboxCounts; n: number }>`
    SELECT status, count(*)::int AS n FROM notifications GROUP BY status`.execute(db);
  const counts: OutboxCounts = { PENDING: 0, SENT: 0, DEAD: 0, EXPIRED: 0 };
  for (const row of rows.rows) counts[row.status] = row.n;
  return counts;
}
