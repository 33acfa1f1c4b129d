import { DateTime } from 'luxon';

/**
 * The business date is the calendar date in India. Every date the product stores or
 * compares is an ISO `YYYY-MM-DD` string of that calendar; nothing reads the server's TZ.
 */

export const BUSINESS_ZONE = 'Asia/Kolkata';

/** An ISO calendar date, `YYYY-MM-DD`. */
export type BusinessDate = string;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written as `YYYY-MM-DD` (2026-02-30 is not). */
export function isBusinessDate(value: string): boolean {
  return ISO_DATE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

function asUtcDay(date: BusinessDate): DateTime {
  const parsed = DateTime.fromISO(date, { zone: 'UTC' });
  if (!ISO_DATE.test(date) || !parsed.isValid) {
    throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  }
  return parsed;
}

function toIso(day: DateTime): BusinessDate {
  // toISODate is only null for invalid DateTimes, which asUtcDay never returns.
  return day.toISODate() as BusinessDate;
}

/** The business date (IST calendar date) of an instant. */
export function businessDateAt(instant: Date | number): BusinessDate {
  const millis = typeof instant === 'number' ? instant : instant.getTime();
  return toIso(DateTime.fromMillis(millis, { zone: BUSINESS_ZONE }));
}

/** Today's business date. */
export function businessToday(now: Date = new Date()): BusinessDate {
  return businessDateAt(now);
}

export function addDays(date: BusinessDate, days: number): BusinessDate {
  return toIso(asUtcDay(date).plus({ days }));
}

/**
 * `date` plus `months` calendar months, clamped to the month's last day
 * (2026-01-31 + 1 month = 2026-02-28).
 */
export function addMonths(date: BusinessDate, months: number): BusinessDate {
  return toIso(asUtcDay(date).plus({ months }));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: BusinessDate, to: BusinessDate): number {
  return Math.round(asUtcDay(to).diff(asUtcDay(from), 'days').days);
}

/** The instant a business date starts: 00:00 IST. */
export function startOfBusinessDate(date: BusinessDate): Date {
  return DateTime.fromISO(date, { zone: BUSINESS_ZONE }).startOf('day').toJSDate();
}
