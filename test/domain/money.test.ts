import { describe, expect, it } from 'vitest';
import { PAYMENT_LIMITS, formatRupees, isPaymentAmountInRange, parsePercentToBps, parseRupees } from '@loanops/domain';

describe('parseRupees', () => {
  it.each([
    ['0', 0],
    ['1', 100],
    ['125000', 12_500_000],
    ['1,25,000.50', 12_500_050],
    ['125,000.5', 12_500_050],
    ['₹ 999.05', 99_905],
    ['Rs. 10', 1_000],
    ['  42.1 ', 4_210],
    ['0.01', 1],
  ])('%s is %d paise', (text, paise) => {
    expect(parseRupees(text)).toBe(paise);
  });

  it.each(['', 'abc', '12.345', '-5', '1e5', '12..5', '1 000', '12,5', '.5', '0x10'])('refuses %j', (text) => {
    expect(parseRupees(text)).toBeNull();
  });
});

describe('parsePercentToBps', () => {
  it.each([
    ['14', 1_400],
    ['14.5', 1_450],
    ['14.25%', 1_425],
    ['0', 0],
  ])('%s is %d bps', (text, bps) => {
    expect(parsePercentToBps(text)).toBe(bps);
  });

  it.each(['', 'x', '14.255', '-1', '1e2'])('refuses %j', (text) => {
    expect(parsePercentToBps(text)).toBeNull();
  });
});

describe('payment limits', () => {
  it('accepts ₹1 and ₹1 crore and nothing outside them', () => {
    expect(isPaymentAmountInRange(PAYMENT_LIMITS.minPaise)).toBe(true);
    expect(isPaymentAmountInRange(PAYMENT_LIMITS.minPaise - 1)).toBe(false);
    expect(isPaymentAmountInRange(PAYMENT_LIMITS.maxPaise)).toBe(true);
    expect(isPaymentAmountInRange(PAYMENT_LIMITS.maxPaise + 1)).toBe(false);
    expect(PAYMENT_LIMITS).toEqual({ minPaise: 100, maxPaise: 1_000_000_000 });
  });
});

describe('formatRupees', () => {
  it.each([
    [0, '₹0.00'],
    [5, '₹0.05'],
    [12_500_050, '₹1,25,000.50'],
    [1_000_000_000, '₹1,00,00,000.00'],
    [-150, '-₹1.50'],
  ])('%d paise is %s', (paise, text) => {
    expect(formatRupees(paise)).toBe(text);
  });
});
