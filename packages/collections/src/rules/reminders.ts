import { addDays, daysBetween, formatRupees, type BusinessDate, type Language, type Paise } from '@loanops/domain';
import { contactHoursEnd } from './contact-hours.js';

export type ReminderKind = 'PROMISE_DUE_TOMORROW' | 'PROMISE_DUE_TODAY' | 'INSTALLMENT_DUE';

export const REMINDER_KINDS: readonly ReminderKind[] = ['PROMISE_DUE_TOMORROW', 'PROMISE_DUE_TODAY', 'INSTALLMENT_DUE'];

/** The promise reminder due on `today` for a promise of `promisedOn`: the day before, and on the day. */
export function promiseReminderKind(promisedOn: BusinessDate, today: BusinessDate): ReminderKind | null {
  const daysAhead = daysBetween(today, promisedOn);
  if (daysAhead === 1) return 'PROMISE_DUE_TOMORROW';
  if (daysAhead === 0) return 'PROMISE_DUE_TODAY';
  return null;
}

/**
 * The due dates an installment reminder goes out for on `today`: tomorrow … today + N. The
 * reminder is meant for N days before; a day the job did not run is caught up on the next, and a
 * loan created two days before a due date still gets one. Nothing on or after the due date.
 */
export function installmentReminderRange(today: BusinessDate, daysBefore: number): { from: BusinessDate; to: BusinessDate } {
  if (!Number.isSafeInteger(daysBefore) || daysBefore < 1) throw new RangeError(`daysBefore must be a whole number ≥ 1: ${daysBefore}`);
  return { from: addDays(today, 1), to: addDays(today, daysBefore) };
}

/**
 * The last moment a reminder is worth sending: 19:00 IST on the promised date (on the day before,
 * for "due tomorrow"), and on the day before an installment's due date. Not sent by then, it expires.
 */
export function reminderSendBy(kind: ReminderKind, date: BusinessDate): Date {
  switch (kind) {
    case 'PROMISE_DUE_TOMORROW':
    case 'INSTALLMENT_DUE':
      return contactHoursEnd(addDays(date, -1));
    case 'PROMISE_DUE_TODAY':
      return contactHoursEnd(date);
  }
}

/** What makes a reminder once: (promise or installment, kind). The outbox has a unique index on it. */
export function reminderDedupeKey(kind: ReminderKind, subjectId: number): string {
  return kind === 'INSTALLMENT_DUE' ? `installment:${subjectId}:${kind}` : `promise:${subjectId}:${kind}`;
}

export interface ReminderFacts {
  loanNumber: string;
  amountPaise: Paise;
  /** The promised date, or the installment's due date. */
  date: BusinessDate;
}

function displayDate(date: BusinessDate): string {
  const [year, month, day] = date.split('-');
  return `${day}-${month}-${year}`;
}

/** The borrower's message, in their language (English or Hindi). */
export function reminderMessage(kind: ReminderKind, language: Language, facts: ReminderFacts): string {
  const amount = formatRupees(facts.amountPaise);
  const date = displayDate(facts.date);
  const loan = facts.loanNumber;
  if (language === 'hi') {
    switch (kind) {
      case 'PROMISE_DUE_TOMORROW':
        return `नमस्ते, ऋण ${loan} पर आपके वादे के अनुसार ${amount} का भुगतान कल, ${date} को देय है। कृपया समय पर भुगतान करें।`;
      case 'PROMISE_DUE_TODAY':
        return `नमस्ते, ऋण ${loan} पर आपके वादे के अनुसार ${amount} का भुगतान आज, ${date} को देय है। कृपया आज ही भुगतान करें।`;
      case 'INSTALLMENT_DUE':
        return `नमस्ते, ऋण ${loan} की ${amount} की किस्त ${date} को देय है। कृपया खाते में पर्याप्त राशि रखें।`;
    }
  }
  switch (kind) {
    case 'PROMISE_DUE_TOMORROW':
      return `Hello, as promised, your payment of ${amount} on loan ${loan} is due tomorrow, ${date}. Please pay on time.`;
    case 'PROMISE_DUE_TODAY':
      return `Hello, as promised, your payment of ${amount} on loan ${loan} is due today, ${date}. Please pay today.`;
    case 'INSTALLMENT_DUE':
      return `Hello, your instalment of ${amount} on loan ${loan} falls due on ${date}. Please keep the amount ready.`;
  }
}
