import { describe, expect, it } from 'vitest';
import { contactHoursEnd, isWithinContactHours, nextContactTime } from '@loanops/collections';

/** IST is UTC+05:30 all year: 08:00 IST is 02:30Z, 19:00 IST is 13:30Z. Runs in UTC and in Los Angeles. */
const ist = (date: string, time: string) => new Date(`${date}T${time}:00+05:30`);

describe('contact hours (08:00–19:00 IST)', () => {
  it.each([
    ['00:00', false],
    ['07:59', false],
    ['08:00', true],
    ['12:00', true],
    ['18:59', true],
    ['19:00', false],
    ['23:59', false],
  ])('at %s IST sending is allowed: %s', (time, allowed) => {
    expect(isWithinContactHours(ist('2026-03-10', time))).toBe(allowed);
  });

  it('the edges to the second', () => {
    expect(isWithinContactHours(new Date('2026-03-10T02:29:59.999Z'))).toBe(false);
    expect(isWithinContactHours(new Date('2026-03-10T02:30:00.000Z'))).toBe(true);
    expect(isWithinContactHours(new Date('2026-03-10T13:29:59.999Z'))).toBe(true);
    expect(isWithinContactHours(new Date('2026-03-10T13:30:00.000Z'))).toBe(false);
  });

  it.each([
    ['07:59', ist('2026-03-10', '08:00')],
    ['08:00', ist('2026-03-10', '08:00')],
    ['18:59', ist('2026-03-10', '18:59')],
    ['19:00', ist('2026-03-11', '08:00')],
    ['23:30', ist('2026-03-11', '08:00')],
    ['00:10', ist('2026-03-10', '08:00')],
  ])('a message due at %s IST goes at %s', (time, expected) => {
    expect(nextContactTime(ist('2026-03-10', time)).toISOString()).toBe(expected.toISOString());
  });

  it('waits over a month end and a year end in IST, not in the server zone', () => {
    expect(nextContactTime(ist('2026-12-31', '19:00')).toISOString()).toBe('2027-01-01T02:30:00.000Z');
    // 2026-03-08 is the US switch to daylight time; India has none.
    expect(nextContactTime(ist('2026-03-07', '20:00')).toISOString()).toBe('2026-03-08T02:30:00.000Z');
    expect(nextContactTime(ist('2026-03-08', '20:00')).toISOString()).toBe('2026-03-09T02:30:00.000Z');
  });

  it('a day ends at 19:00 IST', () => {
    expect(contactHoursEnd('2026-03-10').toISOString()).toBe('2026-03-10T13:30:00.000Z');
  });
});
