import { addDays, PAYMENT_LIMITS, type BusinessDate, type Paise } from '@loanops/domain';

/** A promise's date lies between today and this many days ahead (IST), both inclusive. */
export const PROMISE_HORIZON_DAYS = 30;

export type PromiseRuleCode = 'PROMISE_AMOUNT_OUT_OF_RANGE' | 'PROMISED_DATE_OUT_OF_RANGE' | 'LOAN_NOT_PAYABLE';

export interface PromiseRuleBreach {
  code: PromiseRuleCode;
  path: string;
  message: string;
}

export interface PromiseRequest {
  amountPaise: Paise;
  promisedOn: BusinessDate;
}

export interface PromiseLoan {
  status: string;
  totalOutstandingPaise: Paise;
}

/**
 * The rules a new promise meets: the loan takes payments, the amount is at least ₹1 and no more
 * than what is outstanding, and the date is today … today + 30 days (IST).
 */
export function checkPromiseRules(request: PromiseRequest, loan: PromiseLoan, today: BusinessDate): PromiseRuleBreach[] {
  const breaches: PromiseRuleBreach[] = [];
  if (loan.status !== 'ACTIVE' && loan.status !== 'LEGAL') {
    breaches.push({ code: 'LOAN_NOT_PAYABLE', path: 'loanId', message: `the loan is ${loan.status}; it takes no promises` });
    return breaches;
  }
  if (request.amountPaise < PAYMENT_LIMITS.minPaise || request.amountPaise > loan.totalOutstandingPaise) {
    breaches.push({
      code: 'PROMISE_AMOUNT_OUT_OF_RANGE',
      path: 'amountPaise',
      message: `must be between ${PAYMENT_LIMITS.minPaise} and the outstanding ${loan.totalOutstandingPaise} paise`,
    });
  }
  const latest = addDays(today, PROMISE_HORIZON_DAYS);
  if (request.promisedOn < today || request.promisedOn > latest) {
    breaches.push({ code: 'PROMISED_DATE_OUT_OF_RANGE', path: 'promisedOn', message: `must be between ${today} and ${latest} (IST)` });
  }
  return breaches;
}

export interface MadePromise {
  amountPaise: Paise;
  madeOn: BusinessDate;
  madeAt: Date;
  promisedOn: BusinessDate;
}

export interface PaymentOnLoan {
  amountPaise: Paise;
  valueDate: BusinessDate;
  postedAt: Date;
  reversed: boolean;
}

export type PromiseJudgement = { status: 'OPEN' } | { status: 'KEPT' | 'BROKEN'; paidPaise: Paise; resolvedOn: BusinessDate };

/**
 * What counts towards a promise: payments posted after it was recorded (money already in before
 * cannot keep it), value-dated from the day it was made through the promised date, not reversed.
 */
export function paidTowardsPromise(promise: MadePromise, payments: readonly PaymentOnLoan[]): Paise {
  let paid = 0;
  for (const payment of payments) {
    if (payment.reversed) continue;
    if (payment.postedAt.getTime() < promise.madeAt.getTime()) continue;
    if (payment.valueDate < promise.madeOn || payment.valueDate > promise.promisedOn) continue;
    paid += payment.amountPaise;
  }
  return paid;
}

/**
 * A promise is judged once its date has passed: on the day after the promised date it is KEPT when
 * what counts towards it reaches the promised amount, else BROKEN. Until then it is OPEN, however
 * much has been paid. The resolution is dated the day after the promised date, whenever it is made.
 */
export function judgePromise(promise: MadePromise, payments: readonly PaymentOnLoan[], today: BusinessDate): PromiseJudgement {
  if (today <= promise.promisedOn) return { status: 'OPEN' };
  const paidPaise = paidTowardsPromise(promise, payments);
  return {
    status: paidPaise >= promise.amountPaise ? 'KEPT' : 'BROKEN',
    paidPaise,
    resolvedOn: addDays(promise.promisedOn, 1),
  };
}
