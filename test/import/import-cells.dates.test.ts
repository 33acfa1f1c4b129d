import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBps, toBusinessDate, toPaise, toWholeNumber } from '../../packages/loan-book/src/import/cells.js';
import { LOAN_COLUMNS, REQUIRED_LOAN_COLUMNS, matchHeader } from '../../packages/loan-book/src/import/columns.js';

/** Cell conversions of the importer. Named *.dates.test.ts so the date cases run in two time zones. */

describe('toPaise', () => {
  it.each([
    ['1,25,000.50', 12_500_050],
    ['₹ 999.5', 99_950],
    [125000.5, 12_500_050],
    [0.1, 10],
    [1000, 100_000],
    [0, 0],
  ])('reads %j as %d paise', (cell, paise) => {
    expect(toPaise(cell)).toEqual({ ok: true, value: paise });
  });

  it.each([
    ['abc', 'must be an amount in rupees such as 1,25,000.50 (got "abc")'],
    ['12.345', 'must have at most 2 decimals (got "12.345")'],
    [12.345, 'must have at most 2 decimals (got 12.345); round it in the sheet'],
    [0.1 + 0.2, 'must have at most 2 decimals (got 0.30000000000000004); round it in the sheet'],
    [-5, 'must not be negative (got -5)'],
    ['-5', 'must not be negative (got "-5")'],
    [new Date(Date.UTC(2026, 0, 1)), 'must be an amount in rupees such as 1,25,000.50 (got the date 2026-01-01)'],
  ])('refuses %j', (cell, message) => {
    expect(toPaise(cell)).toEqual({ ok: false, message });
  });

  it('reads every two-decimal number cell to its exact paise, with no float drift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000_000 }), (paise) => {
        expect(toPaise(paise / 100)).toEqual({ ok: true, value: paise });
      }),
    );
  });
});

describe('toBps and toWholeNumber', () => {
  it('reads percentages and whole numbers written as text or numbers', () => {
    expect([toBps('14.5'), toBps('14.25%'), toBps(14.5), toBps(0)]).toEqual([
      { ok: true, value: 1_450 },
      { ok: true, value: 1_425 },
      { ok: true, value: 1_450 },
      { ok: true, value: 0 },
    ]);
    expect(toBps(14.555).ok).toBe(false);
    expect([toWholeNumber(12), toWholeNumber(' 12 '), toWholeNumber(12.5).ok, toWholeNumber('12 months').ok]).toEqual([
      { ok: true, value: 12 },
      { ok: true, value: 12 },
      false,
      false,
    ]);
  });
});

describe('toBusinessDate', () => {
  it.each([
    ['2026-01-31', '2026-01-31'],
    ['31/01/2026', '2026-01-31'],
    ['31-01-2026', '2026-01-31'],
    ['1/2/2026', '2026-02-01'],
    ['29/02/2024', '2024-02-29'],
    // Date cells arrive at UTC midnight; one with a time of day keeps its calendar date.
    [new Date(Date.UTC(2025, 11, 10)), '2025-12-10'],
    [new Date(Date.UTC(2025, 11, 10, 23, 59)), '2025-12-10'],
    // Excel date serials (a date cell the reader saw as a plain number).
    [46000, '2025-12-09'],
    [46000.75, '2025-12-09'],
    [61, '1900-03-01'],
  ])('reads %j as %s', (cell, date) => {
    expect(toBusinessDate(cell)).toEqual({ ok: true, value: date });
  });

  it('counts serials from 1904 in workbooks that say so', () => {
    expect(toBusinessDate(44_539, { date1904: true })).toEqual({ ok: true, value: '2025-12-10' });
  });

  it.each([
    ['31/02/2026', 'must be a real date (got "31/02/2026")'],
    ['2026-13-01', 'must be a real date (got "2026-13-01")'],
    ['12/31/2026', 'must be a real date (got "12/31/2026")'],
    ['15/12/25', 'must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got "15/12/25")'],
    ['Dec 15, 2025', 'must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got "Dec 15, 2025")'],
    [60, 'must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got 60)'],
    [20251215, 'must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got 20251215)'],
    [true, 'must be a date written YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (got TRUE)'],
    [new Date(Number.NaN), 'must be a real date'],
  ])('refuses %j', (cell, message) => {
    expect(toBusinessDate(cell)).toEqual({ ok: false, message });
  });
});

describe('matchHeader', () => {
  it('matches headers ignoring case, spaces, underscores and hyphens, and names what is missing', () => {
    const match = matchHeader(
      ['Loan Number', ' BORROWER-NAME ', 'Phone', 'principal', 'AnnualRate', null, 'Remarks', 'loan_number'],
      LOAN_COLUMNS,
      REQUIRED_LOAN_COLUMNS,
    );
    expect(Object.fromEntries(match.index)).toEqual({
      loan_number: 0,
      borrower_name: 1,
      phone: 2,
      principal: 3,
      annual_rate: 4,
    });
    expect(match.missing).toEqual(['tenure_months', 'disbursed_on']);
    expect(match.repeated).toEqual(['loan_number']);
    expect(match.ignored).toEqual(['Remarks']);
  });
});
