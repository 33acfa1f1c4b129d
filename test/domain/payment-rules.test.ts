import { describe, expect, it } from 'vitest';
import { checkPaymentRules, isUtr, normalizeUtr } from '@loanops/domain';

const base = {
  amountPaise: 10_000,
  valueDate: '2026-04-10',
  receivedOn: '2026-04-10',
  loanStatus: 'ACTIVE',
  loanOutstandingPaise: 1_000_000,
};

describe('checkPaymentRules', () => {
  it.each([
    [{ amountPaise: 100 }, null],
    [{ amountPaise: 99 }, 'AMOUNT_OUT_OF_RANGE'],
    [{ amountPaise: 1_000_000_000, loanOutstandingPaise: 2_000_000_000 }, null],
    [{ amountPaise: 1_000_000_001, loanOutstandingPaise: 2_000_000_000 }, 'AMOUNT_OUT_OF_RANGE'],
    [{ valueDate: '2026-04-03' }, null],
    [{ valueDate: '2026-04-02' }, 'BACKDATED_TOO_FAR'],
    [{ valueDate: '2026-04-11' }, 'FUTURE_VALUE_DATE'],
    [{ loanStatus: 'LEGAL' }, null],
    [{ loanStatus: 'CLOSED' }, 'LOAN_NOT_PAYABLE'],
    [{ loanStatus: 'WRITTEN_OFF' }, 'LOAN_NOT_PAYABLE'],
    [{ amountPaise: 1_000_000 }, null],
    [{ amountPaise: 1_000_001 }, 'OVERPAYMENT'],
  ])('%j → %s', (overrides, code) => {
    expect(checkPaymentRules({ ...base, ...overrides })?.code ?? null).toBe(code);
  });
});

describe('UTR', () => {
  it.each([
    [' axis123456789 ', 'AXIS123456789', true],
    ['123456789012', '123456789012', true],
    ['12345678901', '12345678901', false],
    ['A'.repeat(22), 'A'.repeat(22), true],
    ['A'.repeat(23), 'A'.repeat(23), false],
    ['UTR-1234567890', 'UTR-1234567890', false],
  ])('%j normalises to %s (valid: %s)', (raw, normalized, valid) => {
    expect(normalizeUtr(raw)).toBe(normalized);
    expect(isUtr(normalizeUtr(raw))).toBe(valid);
  });
});
