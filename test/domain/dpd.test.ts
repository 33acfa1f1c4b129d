import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, bucketForDpd, daysPastDue } from '@loanops/domain';

const unpaid = (dueOn: string, outstandingPaise = 1_000) => ({ dueOn, outstandingPaise });

describe('daysPastDue', () => {
  it.each([
    ['2021-03-30', 0],
    ['2021-03-31', 0], // the due date itself is not past due
    ['2021-04-01', 1],
    ['2021-04-30', 30],
    ['2021-05-01', 31],
    ['2021-05-31', 61],
    ['2021-06-29', 90],
    ['2021-06-30', 91],
  ])('an EMI due 2021-03-31 and never paid, on %s, is %d days past due', (on, dpd) => {
    expect(daysPastDue([unpaid('2021-03-31')], on)).toBe(dpd);
  });

  it('counts from the oldest installment not fully paid', () => {
    const installments = [
      { dueOn: '2021-01-31', outstandingPaise: 0 },
      unpaid('2021-02-28', 1),
      unpaid('2021-03-31'),
      unpaid('2021-04-30'),
    ];
    expect(daysPastDue(installments, '2021-03-10')).toBe(10);
    expect(daysPastDue(installments.slice(0, 1), '2021-03-10')).toBe(0);
  });

  it('ignores installments not yet due and is 0 with none', () => {
    expect(daysPastDue([unpaid('2021-05-31')], '2021-05-01')).toBe(0);
    expect(daysPastDue([], '2021-05-01')).toBe(0);
  });
});

describe("RBI's worked example (circular of 12 November 2021)", () => {
  it.each([
    ['2021-04-30', 30, 'SMA-0'],
    ['2021-05-01', 31, 'SMA-1'],
    ['2021-05-31', 61, 'SMA-2'],
    ['2021-06-30', 91, 'NPA'],
  ])('an EMI due 2021-03-31 is on %s DPD %d and %s', (on, dpd, bucket) => {
    const computed = daysPastDue([unpaid('2021-03-31')], on);
    expect(computed).toBe(dpd);
    expect(bucketForDpd(computed, DEFAULT_BUCKET_TABLE)).toBe(bucket);
  });
});
