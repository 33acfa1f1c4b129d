import { daysBetween, type BusinessDate } from './business-date.js';
import type { Paise } from './money.js';

export interface InstallmentArrear {
  dueOn: BusinessDate;
  /** What is still unpaid on it (principal and interest). */
  outstandingPaise: Paise;
}

/**
 * Days past due on business date `on`: `on` minus the due date of the oldest installment that is
 * not fully paid and fell due before `on`; 0 when there is none. The run at the start of a day is
 * the day-end process of the day before, which is what makes RBI's worked example hold (an EMI due
 * 2021-03-31 is 30 days past due on 2021-04-30; RBI circular of 12 November 2021).
 */
export function daysPastDue(installments: Iterable<InstallmentArrear>, on: BusinessDate): number {
  let oldest: BusinessDate | null = null;
  for (const installment of installments) {
    if (installment.outstandingPaise <= 0 || installment.dueOn >= on) continue;
    if (oldest === null || installment.dueOn < oldest) oldest = installment.dueOn;
  }
  return oldest === null ? 0 : daysBetween(oldest, on);
}
