import type { Kysely } from 'kysely';
import { addDays, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { nextContactTime } from './rules/contact-hours.js';
import {
  installmentReminderRange,
  promiseReminderKind,
  reminderDedupeKey,
  reminderMessage,
  reminderSendBy,
  type ReminderKind,
} from './rules/reminders.js';
import { paidTowardsPromise } from './rules/promise-rules.js';
import { findInstallmentCandidates, findLoanPayments, findPromiseCandidates } from './sql/reminder-candidates.js';

export interface ReminderPlan {
  today: BusinessDate;
  /** When the plan is made: the reminders go out from the next moment within contact hours. */
  now: Date;
  /** INSTALLMENT_REMINDER_DAYS_BEFORE. */
  installmentDaysBefore: number;
  /** `webhook` when NOTIFY_WEBHOOK_URL is set, else `log`. */
  channel: 'log' | 'webhook';
  maxAttempts: number;
}

interface Reminder {
  kind: ReminderKind;
  subjectId: number;
  loanId: number;
  promiseId: number | null;
  installmentId: number | null;
  phone: string;
  language: 'en' | 'hi';
  loanNumber: string;
  amountPaise: number;
  date: BusinessDate;
}

/**
 * Puts the day's reminders in the notifications outbox: promises due tomorrow and today (unless
 * what counts towards them is already paid), and installments due within the next N days. The outbox's unique key (promise or installment, kind)
 * makes each once, however often the plan runs or however many run it at once.
 */
export async function planReminders(db: Kysely<Database>, plan: ReminderPlan): Promise<{ promises: number; installments: number }> {
  const tomorrow = addDays(plan.today, 1);
  const promiseReminders: Reminder[] = [];
  const candidates = await findPromiseCandidates(db, { today: plan.today, tomorrow });
  const earliest = candidates.reduce((min, row) => (row.made_on < min ? row.made_on : min), plan.today);
  const payments = await findLoanPayments(db, [...new Set(candidates.map((row) => row.loan_id))], earliest);
  for (const row of candidates) {
    const kind = promiseReminderKind(row.promised_on, plan.today);
    if (!kind) continue;
    // A borrower who has already paid what they promised is not chased for it.
    const paid = paidTowardsPromise(
      { amountPaise: row.amount_paise, madeOn: row.made_on, madeAt: row.made_at, promisedOn: row.promised_on },
      payments
        .filter((payment) => payment.loan_id === row.loan_id)
        .map((payment) => ({
          amountPaise: payment.amount_paise,
          valueDate: payment.value_date,
          postedAt: payment.posted_at,
          reversed: payment.status === 'REVERSED',
        })),
    );
    if (paid >= row.amount_paise) continue;
    promiseReminders.push({
      kind,
      subjectId: row.promise_id,
      loanId: row.loan_id,
      promiseId: row.promise_id,
      installmentId: null,
      phone: row.phone,
      language: row.language,
      loanNumber: row.loan_number,
      amountPaise: row.amount_paise,
      date: row.promised_on,
    });
  }
  const promises = await insertReminders(db, promiseReminders, plan);

  let installments = 0;
  const range = installmentReminderRange(plan.today, plan.installmentDaysBefore);
  const due = await findInstallmentCandidates(db, range);
  for (let start = 0; start < due.length; start += 1_000) {
    installments += await insertReminders(
      db,
      due.slice(start, start + 1_000).map((row) => ({
        kind: 'INSTALLMENT_DUE' as const,
        subjectId: row.installment_id,
        loanId: row.loan_id,
        promiseId: null,
        installmentId: row.installment_id,
        phone: row.phone,
        language: row.language,
        loanNumber: row.loan_number,
        amountPaise: row.outstanding_paise,
        date: row.due_on,
      })),
      plan,
    );
  }
  return { promises, installments };
}

async function insertReminders(db: Kysely<Database>, reminders: readonly Reminder[], plan: ReminderPlan): Promise<number> {
  if (reminders.length === 0) return 0;
  const firstSend = nextContactTime(plan.now);
  const inserted = await db
    .insertInto('notifications')
    .values(
      reminders.map((reminder) => ({
        kind: reminder.kind,
        dedupe_key: reminderDedupeKey(reminder.kind, reminder.subjectId),
        channel: plan.channel,
        recipient: reminder.phone,
        language: reminder.language,
        loan_id: reminder.loanId,
        promise_id: reminder.promiseId,
        installment_id: reminder.installmentId,
        payload: JSON.stringify({
          loanNumber: reminder.loanNumber,
          amountPaise: reminder.amountPaise,
          date: reminder.date,
          ...(reminder.promiseId === null ? { installmentId: reminder.installmentId } : { promiseId: reminder.promiseId }),
        }),
        message: reminderMessage(reminder.kind, reminder.language, reminder),
        contact_hours: true,
        send_by: reminderSendBy(reminder.kind, reminder.date),
        next_attempt_at: firstSend,
        max_attempts: plan.maxAttempts,
      })),
    )
    .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}
