import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, bucketForDpd, bucketTableSchema, classifyBorrowerLoans } from '@loanops/domain';

describe('bucketForDpd', () => {
  it.each([
    [0, 'CURRENT'],
    [1, 'SMA-0'],
    [30, 'SMA-0'],
    [31, 'SMA-1'],
    [60, 'SMA-1'],
    [61, 'SMA-2'],
    [90, 'SMA-2'],
    [91, 'NPA'],
    [4_000, 'NPA'],
  ])('DPD %d is %s', (dpd, bucket) => {
    expect(bucketForDpd(dpd, DEFAULT_BUCKET_TABLE)).toBe(bucket);
  });
});

describe('classifyBorrowerLoans', () => {
  const classify = (loans: { id: number; dpd: number; bucket: string | null }[]) =>
    Object.fromEntries(classifyBorrowerLoans(loans, DEFAULT_BUCKET_TABLE));

  it('gives each loan its own bucket while the borrower is not NPA', () => {
    expect(classify([{ id: 1, dpd: 0, bucket: null }, { id: 2, dpd: 45, bucket: 'SMA-0' }])).toEqual({
      1: 'CURRENT',
      2: 'SMA-1',
    });
  });

  it('makes every loan of a borrower NPA when one is 91+', () => {
    expect(classify([{ id: 1, dpd: 0, bucket: 'CURRENT' }, { id: 2, dpd: 91, bucket: 'SMA-2' }])).toEqual({
      1: 'NPA',
      2: 'NPA',
    });
  });

  it('keeps an NPA loan NPA until its arrears are cleared (sticky)', () => {
    expect(classify([{ id: 1, dpd: 5, bucket: 'NPA' }])).toEqual({ 1: 'NPA' });
    expect(classify([{ id: 1, dpd: 0, bucket: 'NPA' }])).toEqual({ 1: 'CURRENT' });
  });

  it('keeps the borrower NPA while any of their loans has arrears', () => {
    expect(classify([{ id: 1, dpd: 0, bucket: 'NPA' }, { id: 2, dpd: 3, bucket: 'NPA' }])).toEqual({
      1: 'NPA',
      2: 'NPA',
    });
    expect(classify([{ id: 1, dpd: 0, bucket: 'NPA' }, { id: 2, dpd: 0, bucket: 'NPA' }])).toEqual({
      1: 'CURRENT',
      2: 'CURRENT',
    });
  });
});

describe('bucketTableSchema', () => {
  it('accepts the default table', () => {
    expect(bucketTableSchema.safeParse(DEFAULT_BUCKET_TABLE).success).toBe(true);
  });

  it.each([
    [[{ name: 'A', minDpd: 1 }, { name: 'B', minDpd: 5 }], 'start at DPD 0'],
    [[{ name: 'A', minDpd: 0 }, { name: 'B', minDpd: 0 }], 'must start after'],
    [[{ name: 'A', minDpd: 0 }, { name: 'A', minDpd: 3 }], 'unique'],
  ])('refuses %j', (table, message) => {
    const result = bucketTableSchema.safeParse(table);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join(' ')).toContain(message);
  });
});
