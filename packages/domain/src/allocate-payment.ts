import type { BusinessDate } from './business-date.js';
import type { Paise } from './money.js';

export interface OpenCharge {
  id: number;
  leviedOn: BusinessDate;
  outstandingPaise: Paise;
}

export interface OpenInstallment {
  id: number;
  seq: number;
  dueOn: BusinessDate;
  interestOutstandingPaise: Paise;
  principalOutstandingPaise: Paise;
}

export type AllocationComponent = 'CHARGE' | 'INTEREST' | 'PRINCIPAL';

export type Allocation =
  | { component: 'CHARGE'; chargeId: number; amountPaise: Paise }
  | { component: 'INTEREST' | 'PRINCIPAL'; installmentId: number; amountPaise: Paise };

export type AllocationResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; code: 'OVERPAYMENT'; outstandingPaise: Paise };

/** Everything a payment could pay off: open charges plus every unpaid installment amount. */
export function totalOutstanding(charges: readonly OpenCharge[], installments: readonly OpenInstallment[]): Paise {
  let total = 0;
  for (const charge of charges) total += charge.outstandingPaise;
  for (const inst of installments) total += inst.interestOutstandingPaise + inst.principalOutstandingPaise;
  return total;
}

/**
 * Splits a payment over a loan's dues: loan-level charges first (oldest first), then
 * installments by due date (oldest first), interest before principal within each; what is left
 * pays later installments in order. An amount above everything outstanding is refused whole.
 */
export function allocatePayment(
  amountPaise: Paise,
  charges: readonly OpenCharge[],
  installments: readonly OpenInstallment[],
): AllocationResult {
  const outstandingPaise = totalOutstanding(charges, installments);
  if (amountPaise > outstandingPaise) return { ok: false, code: 'OVERPAYMENT', outstandingPaise };

  const allocations: Allocation[] = [];
  let left = amountPaise;
  const take = (available: Paise): Paise => {
    const amount = Math.min(left, available);
    left -= amount;
    return amount;
  };

  const byLevied = [...charges].sort((a, b) => cmp(a.leviedOn, b.leviedOn) || a.id - b.id);
  for (const charge of byLevied) {
    if (left === 0) break;
    const amount = take(charge.outstandingPaise);
    if (amount > 0) allocations.push({ component: 'CHARGE', chargeId: charge.id, amountPaise: amount });
  }

  const byDue = [...installments].sort((a, b) => cmp(a.dueOn, b.dueOn) || a.seq - b.seq);
  for (const inst of byDue) {
    if (left === 0) break;
    const interest = take(inst.interestOutstandingPaise);
    if (interest > 0) allocations.push({ component: 'INTEREST', installmentId: inst.id, amountPaise: interest });
    const principal = take(inst.principalOutstandingPaise);
    if (principal > 0) allocations.push({ component: 'PRINCIPAL', installmentId: inst.id, amountPaise: principal });
  }

  return { ok: true, allocations };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
