import { DateTime } from 'luxon';
import { BUSINESS_ZONE, type BusinessDate } from '@loanops/domain';

/**
 * RBI's Fair Practices Code for lenders and their recovery agents: borrowers are contacted only
 * between 08:00 and 19:00. The window is read in IST whatever the server's zone; 19:00 itself
 * is outside it.
 */
export const CONTACT_HOURS = { fromHour: 8, toHour: 19 } as const;

function istOf(instant: Date): DateTime {
  return DateTime.fromMillis(instant.getTime(), { zone: BUSINESS_ZONE });
}

/** True when `instant` falls within 08:00 (inclusive) and 19:00 (exclusive), IST. */
export function isWithinContactHours(instant: Date): boolean {
  const hour = istOf(instant).hour;
  return hour >= CONTACT_HOURS.fromHour && hour < CONTACT_HOURS.toHour;
}

/** `instant` itself when inside contact hours, else the next 08:00 IST. */
export function nextContactTime(instant: Date): Date {
  if (isWithinContactHours(instant)) return instant;
  const ist = istOf(instant);
  const opening = ist.startOf('day').set({ hour: CONTACT_HOURS.fromHour });
  return (ist.hour < CONTACT_HOURS.fromHour ? opening : opening.plus({ days: 1 })).toJSDate();
}

/** The end of contact hours (19:00 IST) on a business date: the last moment a message of that day may go. */
export function contactHoursEnd(date: BusinessDate): Date {
  return DateTime.fromISO(date, { zone: BUSINESS_ZONE }).set({ hour: CONTACT_HOURS.toHour }).toJSDate();
}
