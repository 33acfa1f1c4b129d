import { addMonths, type BusinessDate } from './business-date.js';
import type { Paise } from './money.js';

export interface ScheduledInstallment {
  seq: number;
  dueOn: BusinessDate;
  principalPaise: Paise;
  interestPaise: Paise;
}

export interface EmiTerms {
  principalPaise: Paise;
  annualRateBps: number;
  tenureMonths: number;
  firstDueOn: BusinessDate;
}

/** A month's rate is annualRateBps / (12 × 10,000). */
const MONTHLY_DENOMINATOR = 120_000n;

/** a / b rounded half up, for non-negative bigints. */
function divRoundHalfUp(a: bigint, b: bigint): bigint {
  return (2n * a + b) / (2n * b);
}

/**
 * The EMI of a reducing-balance loan, rounded half up to the paisa, computed in exact integer
 * arithmetic: P·r·(1+r)^n / ((1+r)^n − 1) with r = bps / 120,000.
 */
export function equatedMonthlyInstallment(principalPaise: Paise, annualRateBps: number, tenureMonths: number): Paise {
  const p = BigInt(principalPaise);
  const n = BigInt(tenureMonths);
  if (annualRateBps === 0) return Number(divRoundHalfUp(p, n));
  const b = BigInt(annualRateBps);
  const grown = (MONTHLY_DENOMINATOR + b) ** n;
  const base = MONTHLY_DENOMINATOR ** n;
  return Number(divRoundHalfUp(p * b * grown, MONTHLY_DENOMINATOR * (grown - base)));
}

/** Interest for one month on a balance, rounded half up to the paisa. */
export function monthlyInterest(balancePaise: Paise, annualRateBps: number): Paise {
  return Number(divRoundHalfUp(BigInt(balancePaise) * BigInt(annualRateBps), MONTHLY_DENOMINATOR));
}

export class DegenerateScheduleError extends Error {
  readonly code = 'DEGENERATE_SCHEDULE';
  constructor(message: string) {
    super(message);
    this.name = 'DegenerateScheduleError';
  }
}

/**
 * A monthly reducing-balance EMI schedule, exact to the paisa: every installment but the last
 * is the same EMI; the last takes whatever principal is left, so the principal parts sum to the
 * principal. Due dates are `firstDueOn` plus whole months, each counted from `firstDueOn`, so a
 * loan due on the 31st is due on the last day of shorter months and on the 31st again after.
 *
 * Throws DegenerateScheduleError when rounding would pay the loan off before its last month
 * (only reachable with rates and tenures far outside lending practice).
 */
export function generateEmiSchedule(terms: EmiTerms): ScheduledInstallment[] {
  const { principalPaise, annualRateBps, tenureMonths, firstDueOn } = terms;
  const emi = equatedMonthlyInstallment(principalPaise, annualRateBps, tenureMonths);
  const schedule: ScheduledInstallment[] = [];
  let balance = principalPaise;
  for (let seq = 1; seq <= tenureMonths; seq += 1) {
    const interest = monthlyInterest(balance, annualRateBps);
    const principal = seq === tenureMonths ? balance : emi - interest;
    if (principal < 0 || principal > balance || (seq < tenureMonths && principal === balance)) {
      throw new DegenerateScheduleError(
        `an EMI schedule of ${tenureMonths} months at ${annualRateBps} bps does not amortise ${principalPaise} paise`,
      );
    }
    schedule.push({ seq, dueOn: addMonths(firstDueOn, seq - 1), principalPaise: principal, interestPaise: interest });
    balance -= principal;
  }
  return schedule;
}
