/**
 * Money is integer paise everywhere. These are the limits and the only conversions
 * between rupee text (as people and spreadsheets write it) and paise.
 */

export type Paise = number;

/** A single repayment: ₹1 to ₹1 crore, inclusive. */
export const PAYMENT_LIMITS = { minPaise: 100, maxPaise: 1_000_000_000 } as const;

/** A loan's principal: ₹1,000 to ₹10 crore, inclusive. */
export const PRINCIPAL_LIMITS = { minPaise: 100_000, maxPaise: 10_000_000_000 } as const;

/** Interest in basis points a year: 0% to 60%. */
export const RATE_LIMITS = { minBps: 0, maxBps: 6_000 } as const;

/** Tenure in months: 1 to 30 years. */
export const TENURE_LIMITS = { minMonths: 1, maxMonths: 360 } as const;

export function isPaise(value: unknown): value is Paise {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function isPaymentAmountInRange(amountPaise: Paise): boolean {
  return amountPaise >= PAYMENT_LIMITS.minPaise && amountPaise <= PAYMENT_LIMITS.maxPaise;
}

const RUPEES = /^(\d{1,3}(?:,\d{2,3})*|\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses rupees written as text ("125000", "1,25,000.50", "₹ 999.5") into paise without
 * going through a float. Returns null for anything that is not a non-negative amount with at
 * most two decimals.
 */
export function parseRupees(text: string): Paise | null {
  const cleaned = text.trim().replace(/^₹\s*/, '').replace(/^Rs\.?\s*/i, '');
  const match = RUPEES.exec(cleaned);
  if (!match) return null;
  const whole = (match[1] ?? '').replaceAll(',', '');
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const paise = Number(whole) * 100 + Number(fraction);
  return Number.isSafeInteger(paise) ? paise : null;
}

/** Parses a percentage with at most two decimals ("14", "14.5", "14.25%") into basis points. */
export function parsePercentToBps(text: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?\s*%?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** "₹1,25,000.50": Indian digit grouping, for messages and exports. */
export function formatRupees(paise: Paise): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const whole = Math.trunc(abs / 100).toString();
  const fraction = (abs % 100).toString().padStart(2, '0');
  const lastThree = whole.slice(-3);
  const rest = whole.slice(0, -3);
  const grouped = rest ? `${rest.replace(/\B(?=(\d{2})+(?!\d))/g, ',')},${lastThree}` : lastThree;
  return `${sign}₹${grouped}.${fraction}`;
}
