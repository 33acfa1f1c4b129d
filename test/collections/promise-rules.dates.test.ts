import { describe, expect, it } from 'vitest';
import { checkPromiseRules, judgePromise, paidTowardsPromise, type PaymentOnLoan } from '@loanops/collections';

const loan = { status: 'ACTIVE', totalOutstandingPaise: 500_000 };
const TODAY = '2026-03-10';

describe('a new promise', () => {
  it.each([
    [{ amountPaise: 100, promisedOn: TODAY }, []],
    [{ amountPaise: 500_000, promisedOn: '2026-04-09' }, []],
    [{ amountPaise: 500_001, promisedOn: TODAY }, ['PROMISE_AMOUNT_OUT_OF_RANGE']],
    [{ amountPaise: 99, promisedOn: TODAY }, ['PROMISE_AMOUNT_OUT_OF_RANGE']],
    [{ amountPaise: 1_000, promisedOn: '2026-03-09' }, ['PROMISED_DATE_OUT_OF_RANGE']],
    [{ amountPaise: 1_000, promisedOn: '2026-04-10' }, ['PROMISED_DATE_OUT_OF_RANGE']],
    [{ amountPaise: 600_000, promisedOn: '2026-04-10' }, ['PROMISE_AMOUNT_OUT_OF_RANGE', 'PROMISED_DATE_OUT_OF_RANGE']],
  ])('%o breaks %o', (request, codes) => {
    expect(checkPromiseRules(request, loan, TODAY).map((breach) => breach.code)).toEqual(codes);
  });

  it('today + 30 days crosses a month of 28 days', () => {
    expect(checkPromiseRules({ amountPaise: 100, promisedOn: '2026-03-30' }, loan, '2026-02-28')).toEqual([]);
    expect(checkPromiseRules({ amountPaise: 100, promisedOn: '2026-03-31' }, loan, '2026-02-28')[0]?.code).toBe('PROMISED_DATE_OUT_OF_RANGE');
  });

  it.each(['CLOSED', 'WRITTEN_OFF'])('is refused on a %s loan', (status) => {
    expect(checkPromiseRules({ amountPaise: 100, promisedOn: TODAY }, { ...loan, status }, TODAY).map((b) => b.code)).toEqual([
      'LOAN_NOT_PAYABLE',
    ]);
  });

  it('is taken on a loan with the legal team', () => {
    expect(checkPromiseRules({ amountPaise: 100, promisedOn: TODAY }, { ...loan, status: 'LEGAL' }, TODAY)).toEqual([]);
  });
});

describe('judging a promise', () => {
  const madeAt = new Date('2026-03-10T06:00:00Z');
  const promise = { amountPaise: 50_000, madeOn: '2026-03-10', madeAt, promisedOn: '2026-03-15' };
  const later = new Date('2026-03-12T06:00:00Z');
  const pay = (amountPaise: number, valueDate: string, extra: Partial<PaymentOnLoan> = {}): PaymentOnLoan => ({
    amountPaise,
    valueDate,
    postedAt: later,
    reversed: false,
    ...extra,
  });

  it('stays open through the promised date, however much is paid', () => {
    expect(judgePromise(promise, [pay(50_000, '2026-03-12')], '2026-03-15')).toEqual({ status: 'OPEN' });
    expect(judgePromise(promise, [], '2026-03-10')).toEqual({ status: 'OPEN' });
  });

  it('is KEPT the day after when payments reach the amount, dated that day', () => {
    expect(judgePromise(promise, [pay(20_000, '2026-03-11'), pay(30_000, '2026-03-15')], '2026-03-16')).toEqual({
      status: 'KEPT',
      paidPaise: 50_000,
      resolvedOn: '2026-03-16',
    });
  });

  it('is BROKEN one paisa short, and dated the day after the promise however late it is judged', () => {
    expect(judgePromise(promise, [pay(49_999, '2026-03-15')], '2026-03-20')).toEqual({
      status: 'BROKEN',
      paidPaise: 49_999,
      resolvedOn: '2026-03-16',
    });
  });

  it('counts a payment on the promised date and not one the day after (the boundary day)', () => {
    expect(judgePromise(promise, [pay(50_000, '2026-03-15')], '2026-03-16').status).toBe('KEPT');
    expect(judgePromise(promise, [pay(50_000, '2026-03-16')], '2026-03-17').status).toBe('BROKEN');
  });

  it('ignores reversed payments, and money in before the promise was recorded', () => {
    expect(paidTowardsPromise(promise, [pay(50_000, '2026-03-12', { reversed: true })])).toBe(0);
    expect(paidTowardsPromise(promise, [pay(50_000, '2026-03-10', { postedAt: new Date('2026-03-10T05:59:59Z') })])).toBe(0);
    expect(paidTowardsPromise(promise, [pay(50_000, '2026-03-09')])).toBe(0);
    expect(paidTowardsPromise(promise, [pay(10_000, '2026-03-10', { postedAt: madeAt })])).toBe(10_000);
  });
});
