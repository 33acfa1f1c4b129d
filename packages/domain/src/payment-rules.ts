import { addDays, type BusinessDate } from './business-date.js';
import { isPaymentAmountInRange, PAYMENT_LIMITS, type Paise } from './money.js';

/** The payment channels a repayment can arrive by. */
export const PAYMENT_MODES = ['UPI', 'IMPS', 'NEFT', 'RTGS', 'NACH', 'CHEQUE', 'CASH'] as const;
export type PaymentModeName = (typeof PAYMENT_MODES)[number];

/** How far back a value date may lie: 7 days back is accepted, 8 is not. */
export const MAX_BACKDATE_DAYS = 7;

/** Loan statuses a repayment may be posted to. */
export const PAYABLE_STATUSES = ['ACTIVE', 'LEGAL'] as const;

const UTR = /^[A-Z0-9]{12,22}$/;

/** UTRs are compared trimmed and upper-cased. */
export function normalizeUtr(text: string): string {
  return text.trim().toUpperCase();
}

export function isUtr(normalized: string): boolean {
  return UTR.test(normalized);
}

export type PaymentRuleCode =
  | 'AMOUNT_OUT_OF_RANGE'
  | 'FUTURE_VALUE_DATE'
  | 'BACKDATED_TOO_FAR'
  | 'LOAN_NOT_PAYABLE'
  | 'OVERPAYMENT';

export interface PaymentRuleBreach {
  code: PaymentRuleCode;
  message: string;
  field?: string;
}

/**
 * The rules a repayment must meet, checked at intake and again when it is posted (the loan may
 * have changed in between). `receivedOn` is the business date the request reached us: the value
 * date window is judged against it, so a payment held in a paused queue is not refused later for
 * having waited.
 */
export function checkPaymentRules(payment: {
  amountPaise: Paise;
  valueDate: BusinessDate;
  receivedOn: BusinessDate;
  loanStatus: string;
  loanOutstandingPaise: Paise;
}): PaymentRuleBreach | null {
  if (!isPaymentAmountInRange(payment.amountPaise)) {
    return {
      code: 'AMOUNT_OUT_OF_RANGE',
      field: 'amountPaise',
      message: `amountPaise must be between ${PAYMENT_LIMITS.minPaise} and ${PAYMENT_LIMITS.maxPaise}`,
    };
  }
  if (payment.valueDate > payment.receivedOn) {
    return { code: 'FUTURE_VALUE_DATE', field: 'valueDate', message: `valueDate is after today (${payment.receivedOn})` };
  }
  const earliest = addDays(payment.receivedOn, -MAX_BACKDATE_DAYS);
  if (payment.valueDate < earliest) {
    return {
      code: 'BACKDATED_TOO_FAR',
      field: 'valueDate',
      message: `valueDate is more than ${MAX_BACKDATE_DAYS} days back (earliest ${earliest})`,
    };
  }
  if (!(PAYABLE_STATUSES as readonly string[]).includes(payment.loanStatus)) {
    return { code: 'LOAN_NOT_PAYABLE', message: `the loan is ${payment.loanStatus} and takes no payments` };
  }
  if (payment.amountPaise > payment.loanOutstandingPaise) {
    return {
      code: 'OVERPAYMENT',
      field: 'amountPaise',
      message: `amountPaise is above everything outstanding (${payment.loanOutstandingPaise} paise)`,
    };
  }
  return null;
}
