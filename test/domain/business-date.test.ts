import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  businessDateAt,
  daysBetween,
  isBusinessDate,
  startOfBusinessDate,
} from '@loanops/domain';

describe('businessDateAt', () => {
  it.each([
    ['2026-03-31T18:29:59.999Z', '2026-03-31'], // 23:59:59.999 IST
    ['2026-03-31T18:30:00.000Z', '2026-04-01'], // 00:00 IST
    ['2026-04-01T18:20:00.000Z', '2026-04-01'], // 23:50 IST
    ['2026-04-01T18:40:00.000Z', '2026-04-02'], // 00:10 IST
    ['2026-12-31T19:00:00.000Z', '2027-01-01'],
  ])('%s is business date %s whatever the process TZ', (instant, date) => {
    expect(businessDateAt(new Date(instant))).toBe(date);
  });

  it('starts a business date at 00:00 IST', () => {
    expect(startOfBusinessDate('2026-04-01').toISOString()).toBe('2026-03-31T18:30:00.000Z');
  });
});

describe('calendar arithmetic', () => {
  it('adds days across months and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2026-01-01', -8)).toBe('2025-12-24');
  });

  it('adds months clamped to the month end', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2026-01-31', 2)).toBe('2026-03-31');
  });

  it('counts days between dates', () => {
    expect(daysBetween('2021-03-31', '2021-04-30')).toBe(30);
    expect(daysBetween('2021-03-31', '2021-06-30')).toBe(91);
    expect(daysBetween('2021-04-30', '2021-03-31')).toBe(-30);
  });

  it('recognises only real YYYY-MM-DD dates', () => {
    expect(isBusinessDate('2026-02-28')).toBe(true);
    expect(isBusinessDate('2026-02-30')).toBe(false);
    expect(isBusinessDate('2026-2-3')).toBe(false);
    expect(isBusinessDate('28/02/2026')).toBe(false);
    expect(() => addDays('nope', 1)).toThrow(RangeError);
  });

  it('agrees with luxon’s calendar for any date, month and day offset', () => {
    const luxon = (date: string) => DateTime.fromISO(date, { zone: 'UTC' });
    fc.assert(
      fc.property(
        fc.integer({ min: -80_000, max: 80_000 }),
        fc.integer({ min: -1_200, max: 1_200 }),
        fc.integer({ min: -5_000, max: 5_000 }),
        (offset, months, days) => {
          const date = luxon('2000-02-29').plus({ days: offset }).toISODate() as string;
          expect(isBusinessDate(date)).toBe(true);
          expect(addMonths(date, months)).toBe(luxon(date).plus({ months }).toISODate());
          expect(addDays(date, days)).toBe(luxon(date).plus({ days }).toISODate());
          expect(daysBetween(date, addDays(date, days))).toBe(days);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
