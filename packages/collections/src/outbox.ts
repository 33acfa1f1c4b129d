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
  /** Notifications claimed at a time (sent at once). */
  batchSize?: number;
  /**
   * How long a claimed notification is left to the worker sending it before another may take it
   * (after a crash, or when its outcome could not be recorded). Longer than any send may take: the
   * webhook gives up after NOTIFY_WEBHOOK_TIMEOUT_MS, at most a minute.
   */
  claimMs?: number;
}

const DEFAULT_CLAIM_MS = 120_000;

export interface DeliveryCounts {
  sent: number;
  retrying: number;
  dead: number;
  expired: number;
  /** Borrower-facing notifications that came up outside contact hours and were moved to the next 08:00 IST. */
  deferred: number;
}

interface ClaimedNotification {
  id: number;
  kind: string;
  dedupe_key: string;
  channel: keyof Channels;
  recipient: string;
  language: 'en' | 'hi';
  message: string | null;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  contact_hours: boolean;
}

/**
 * Delivers what is due in the notifications outbox. Lapsed reminders (past `send_by`) and those
 * that no longer apply (promise no longer open, installment paid) are marked EXPIRED. The rest are
 * claimed a batch at a time (FOR UPDATE SKIP LOCKED, so any number of workers share the outbox
 * without sending one twice; the claim holds a row for `claimMs` and is committed before anything
 * is sent), sent through their channel at once, and each marked on its own as soon as its channel
 * answers: SENT, or tried again after a backoff, or DEAD after the last attempt or a permanent
 * refusal. A notification already delivered is recorded SENT whatever happens to the rest of its
 * batch. A borrower-facing notification is sent only within contact hours (08:00–19:00 IST).
 *
 * Delivery is at least once: a notification whose outcome could not be recorded (the process died,
 * the database failed) is sent again once its claim lapses, with the same Idempotency-Key.
 */
export async function deliverDueNotifications(db: Kysely<Database>, settings: DeliverySettings): Promise<DeliveryCounts> {
  const now = settings.now ?? (() => new Date());
  const batchSize = settings.batchSize ?? 50;
  const claimMs = settings.claimMs ?? DEFAULT_CLAIM_MS;
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

  /** Sends one claimed notification and records its outcome at once, in its own statement. */
  async function deliver(row: ClaimedNotification): Promise<void> {
    const attempts = row.attempts + 1;
    let failure: { permanent: boolean; message: string } | undefined;
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
    } catch (error) {
      failure =
        error instanceof DeliveryError
          ? { permanent: error.permanent, message: error.message }
          : { permanent: false, message: coerceError(error).message };
    }
    if (failure === undefined) {
      try {
        await db
          .updateTable('notifications')
          .set({ status: 'SENT', attempts, sent_at: now(), last_error: null })
          .where('id', '=', row.id)
          .execute();
      } catch (error) {
        settings.logger.error(
          { notificationId: row.id, kind: row.kind, channel: row.channel, err: coerceError(error) },
          'notification delivered but not recorded as sent; it will be sent again when its claim lapses',
        );
        throw error;
      }
      counts.sent += 1;
      return;
    }
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
    // Only while still PENDING: a reminder that lapsed meanwhile stays EXPIRED.
    await db
      .updateTable('notifications')
      .set({
        status: next.status,
        attempts,
        last_error: failure.message.slice(0, 500),
        ...(next.status === 'PENDING' ? { next_attempt_at: next.nextAttemptAt } : {}),
      })
      .where('id', '=', row.id)
      .where('status', '=', 'PENDING')
      .execute();
    if (next.status === 'DEAD') counts.dead += 1;
    else counts.retrying += 1;
  }

  for (;;) {
    const at = now();
    const withinContactHours = isWithinContactHours(at);
    if (settings.borrowerMessagesEnabled && !withinContactHours) {
      const moved = await db
        .updateTable('notifications')
        .set({ next_attempt_at: nextContactTime(at) })
        .where('status', '=', 'PENDING')
        .where('contact_hours', '=', true)
        .where('next_attempt_at', '<=', at)
        .where((eb) => eb.or([eb('send_by', 'is', null), eb('send_by', '>=', at)]))
        .executeTakeFirst();
      counts.deferred += Number(moved.numUpdatedRows);
    }
    const claimed = await sql<ClaimedNotification>`
      WITH due AS (
        SELECT id FROM notifications
        WHERE status = 'PENDING' AND next_attempt_at <= ${at}
          AND (send_by IS NULL OR send_by >= ${at})
          AND (${settings.borrowerMessagesEnabled && withinContactHours} OR NOT contact_hours)
        ORDER BY next_attempt_at, id
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE notifications AS n SET next_attempt_at = ${new Date(at.getTime() + claimMs)}
      FROM due WHERE n.id = due.id
      RETURNING n.id, n.kind, n.dedupe_key, n.channel, n.recipient, n.language, n.message, n.payload, n.attempts,
                n.max_attempts, n.contact_hours`.execute(db);
    const outcomes = await Promise.allSettled(claimed.rows.map((row) => deliver(row)));
    const unrecorded = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (unrecorded.length > 0) {
      // The rest of the batch is recorded; these go again when their claim lapses.
      throw new Error(`${unrecorded.length} of ${claimed.rows.length} notifications sent or tried could not be recorded`, {
        cause: unrecorded[0]?.reason,
      });
    }
    if (claimed.rows.length < batchSize) return counts;
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
