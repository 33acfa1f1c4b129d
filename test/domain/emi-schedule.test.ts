import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DegenerateScheduleError,
  PRINCIPAL_LIMITS,
  RATE_LIMITS,
  TENURE_LIMITS,
  equatedMonthlyInstallment,
  generateEmiSchedule,
} from '@loanops/domain';

describe('equatedMonthlyInstallment', () => {
  it.each([
    // ₹1,00,000 at 12% for 12 months: the textbook ₹8,884.88.
    [10_000_000, 1_200, 12, 888_488],
    // ₹5,00,000 at 10.5% for 60 months: ₹10,746.95.
    [50_000_000, 1_050, 60, 1_074_695],
    // 0%: principal over tenure, rounded.
    [10_000_000, 0, 12, 833_333],
    [100_000, 0, 3, 33_333],
  ])('%d paise at %d bps over %d months is %d', (principal, bps, months, emi) => {
    expect(equatedMonthlyInstallment(principal, bps, months)).toBe(emi);
  });
});

describe('generateEmiSchedule', () => {
  it('produces the textbook schedule with the last installment absorbing rounding', () => {
    const schedule = generateEmiSchedule({
      principalPaise: 10_000_000,
      annualRateBps: 1_200,
      tenureMonths: 12,
      firstDueOn: '2026-01-31',
    });
    expect(schedule.slice(0, 2)).toEqual([
      { seq: 1, dueOn: '2026-01-31', principalPaise: 788_488, interestPaise: 100_000 },
      { seq: 2, dueOn: '2026-02-28', principalPaise: 796_373, interestPaise: 92_115 },
    ]);
    expect(schedule.at(-1)).toEqual({ seq: 12, dueOn: '2026-12-31', principalPaise: 879_688, interestPaise: 8_797 });
    expect(schedule.map((i) => i.dueOn).slice(2, 4)).toEqual(['2026-03-31', '2026-04-30']);
  });

  it('refuses terms that rounding cannot amortise', () => {
    expect(() =>
      generateEmiSchedule({ principalPaise: 100_000, annualRateBps: 2_400, tenureMonths: 360, firstDueOn: '2026-01-01' }),
    ).toThrow(DegenerateScheduleError);
  });

  const anyTerms = fc.record({
    principalPaise: fc.integer({ min: PRINCIPAL_LIMITS.minPaise, max: PRINCIPAL_LIMITS.maxPaise }),
    annualRateBps: fc.integer({ min: RATE_LIMITS.minBps, max: RATE_LIMITS.maxBps }),
    tenureMonths: fc.integer({ min: TENURE_LIMITS.minMonths, max: TENURE_LIMITS.maxMonths }),
    firstDueOn: fc.constantFrom('2026-01-31', '2024-02-29', '2025-06-15'),
  });

  it('is exact to the paisa for every accepted loan: parts sum to the principal, equal EMIs but the last', () => {
    fc.assert(
      fc.property(anyTerms, (terms) => {
        let schedule;
        try {
          schedule = generateEmiSchedule(terms);
        } catch (error) {
          expect(error).toBeInstanceOf(DegenerateScheduleError);
          return;
        }
        expect(schedule).toHaveLength(terms.tenureMonths);
        expect(schedule.reduce((sum, i) => sum + i.principalPaise, 0)).toBe(terms.principalPaise);
        const emi = equatedMonthlyInstallment(terms.principalPaise, terms.annualRateBps, terms.tenureMonths);
        for (const installment of schedule.slice(0, -1)) {
          expect(installment.principalPaise + installment.interestPaise).toBe(emi);
        }
        for (const installment of schedule) {
          expect(Number.isSafeInteger(installment.principalPaise)).toBe(true);
          expect(installment.principalPaise).toBeGreaterThanOrEqual(0);
          expect(installment.interestPaise).toBeGreaterThanOrEqual(0);
        }
        expect(schedule.at(-1)?.principalPaise).toBeGreaterThan(0);
        const dates = schedule.map((i) => i.dueOn);
        expect([...dates].sort()).toEqual(dates);
        expect(new Set(dates).size).toBe(dates.length);
      }),
      { numRuns: 400 },
    );
  });

  it('never refuses loans inside lending practice (₹10,000+, up to 36%, up to 20 years)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000_000, max: PRINCIPAL_LIMITS.maxPaise }),
        fc.integer({ min: 0, max: 3_600 }),
        fc.integer({ min: 1, max: 240 }),
        (principalPaise, annualRateBps, tenureMonths) => {
          const schedule = generateEmiSchedule({ principalPaise, annualRateBps, tenureMonths, firstDueOn: '2026-05-05' });
          expect(schedule.reduce((sum, i) => sum + i.principalPaise, 0)).toBe(principalPaise);
        },
      ),
      { numRuns: 400 },
    );
  });
});
