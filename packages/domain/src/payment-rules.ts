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

/** IMPS and UPI reference numbers (RRN), the only UTRs made of digits alone, have 12. */
const RRN_DIGITS = 12;
const UTR_MAX = 22;

/**
 * The form in which two references are compared to tell whether they are the same UTR: a bank
 * statement and a payment request may write one UTR differently. It is normalizeUtr (trimmed,
 * upper case), then:
 * - spaces and other whitespace inside are dropped ("6081 2345 6789"): a UTR is letters and
 *   digits only, so no UTR loses anything of its own;
 * - a reference of digits only, longer than 12, loses leading zeros until it is 12 digits long
 *   or starts with another digit ("0000608123456789" is 608123456789). The only UTRs of digits
 *   alone are 12-digit RRNs, so zeros in front of a 13 to 22 digit one are padding, while an
 *   RRN's own leading zero (those of a year ending in 0) is kept: two different 12-digit RRNs,
 *   or two references of one length, never become equal.
 * Nothing else is stripped: letters never (NEFT and RTGS UTRs begin with the bank's IFSC code,
 * so dropping a letter prefix could make two real UTRs one), nor zeros within, at the end, or in
 * front of a reference with letters; a short number is not padded (a cheque number stays what it
 * is). isUtr tells whether the result is a UTR at all. The database has it for UTRs as stored,
 * loanops_utr_match_key (migration 0008; test/db/utr-match-keys.test.ts holds the two equal).
 */
export function utrMatchKey(text: string): string {
  const compact = normalizeUtr(text).replace(/\s+/g, '');
  if (!/^\d+$/.test(compact)) return compact;
  let start = 0;
  while (compact.length - start > RRN_DIGITS && compact[start] === '0') start += 1;
  return compact.slice(start);
}

/**
 * Every UTR as stored (normalizeUtr'd, valid) whose utrMatchKey is `key`: the key itself and, for
 * a 12-digit key or a longer one of digits not starting with 0, the key zero-padded up to 22
 * characters. Lets a UTR column be searched by its unique index for references equal under
 * utrMatchKey. Empty when `key` is no UTR or not a key utrMatchKey gives.
 */
export function utrSpellings(key: string): string[] {
  if (!isUtr(key) || utrMatchKey(key) !== key) return [];
  if (!/^\d+$/.test(key)) return [key];
  return Array.from({ length: UTR_MAX - key.length + 1 }, (_, zeros) => '0'.repeat(zeros) + key);
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
