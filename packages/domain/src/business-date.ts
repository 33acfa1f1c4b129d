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
  if (!ISO_DATE.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
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
  if (!Number.isSafeInteger(days)) throw new RangeError(`not a whole number of days: ${days}`);
  return fromDayNumber(toDayNumber(date) + days);
}

/**
 * `date` plus `months` calendar months, clamped to the month's last day
 * (2026-01-31 + 1 month = 2026-02-28).
 */
export function addMonths(date: BusinessDate, months: number): BusinessDate {
  if (!Number.isSafeInteger(months)) throw new RangeError(`not a whole number of months: ${months}`);
  const [year, month, day] = civilParts(date);
  const monthIndex = year * 12 + (month - 1) + months;
  const toYear = Math.floor(monthIndex / 12);
  const toMonth = monthIndex - toYear * 12 + 1;
  return isoDate(toYear, toMonth, Math.min(day, daysInMonth(toYear, toMonth)));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: BusinessDate, to: BusinessDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

/*
 * Calendar arithmetic in plain integers (proleptic Gregorian day numbers) rather than luxon:
 * schedules and DPD runs call these millions of times (a seeded book of a million loans has
 * tens of millions of due dates), and going through luxon costs ~10 µs a call.
 */

function civilParts(date: BusinessDate): [number, number, number] {
  if (!isBusinessDate(date)) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 (days_from_civil, H. Hinnant). */
function toDayNumber(date: BusinessDate): number {
  const [year, month, day] = civilParts(date);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The date of a day number (civil_from_days, H. Hinnant). */
function fromDayNumber(dayNumber: number): BusinessDate {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return isoDate(yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day);
}

function isoDate(year: number, month: number, day: number): BusinessDate {
  if (year < 1 || year > 9999) throw new RangeError(`date out of range: year ${year}`);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** The instant a business date starts: 00:00 IST. */
export function startOfBusinessDate(date: BusinessDate): Date {
  return DateTime.fromISO(date, { zone: BUSINESS_ZONE }).startOf('day').toJSDate();
}
