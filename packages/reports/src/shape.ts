import type { BucketTable } from '@loanops/domain';

/** Pure row shaping of the reports: ratios, the roll-rate matrix, bucket order. */

/** numerator ÷ denominator as a percentage with two decimals; null when nothing was due. */
export function percent(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null;
  return Math.round((numerator * 10_000) / denominator) / 100;
}

/** The table's buckets in order, then any other name found in the data (a table changed since), sorted. */
export function bucketOrder(table: BucketTable, seen: Iterable<string>): string[] {
  const names = table.map((bucket) => bucket.name);
  const extra = [...new Set(seen)].filter((name) => !names.includes(name)).sort();
  return [...names, ...extra];
}

export interface PortfolioCell {
  bucket: string;
  loans: number;
  principalOutstandingPaise: number;
  totalOutstandingPaise: number;
}

export interface PortfolioRow extends PortfolioCell {
  asOf: string;
  loansPct: number | null;
  principalPct: number | null;
}

/** One row per bucket (empty ones too, in the table's order) and a TOTAL row. */
export function portfolioRows(asOf: string, cells: readonly PortfolioCell[], table: BucketTable): PortfolioRow[] {
  const byBucket = new Map(cells.map((cell) => [cell.bucket, cell]));
  const totalLoans = cells.reduce((sum, cell) => sum + cell.loans, 0);
  const totalPrincipal = cells.reduce((sum, cell) => sum + cell.principalOutstandingPaise, 0);
  const totalOutstanding = cells.reduce((sum, cell) => sum + cell.totalOutstandingPaise, 0);
  const rows = bucketOrder(table, byBucket.keys()).map((bucket) => {
    const cell = byBucket.get(bucket) ?? { bucket, loans: 0, principalOutstandingPaise: 0, totalOutstandingPaise: 0 };
    return {
      asOf,
      ...cell,
      loansPct: percent(cell.loans, totalLoans),
      principalPct: percent(cell.principalOutstandingPaise, totalPrincipal),
    };
  });
  rows.push({
    asOf,
    bucket: 'TOTAL',
    loans: totalLoans,
    principalOutstandingPaise: totalPrincipal,
    totalOutstandingPaise: totalOutstanding,
    loansPct: totalLoans === 0 ? null : 100,
    principalPct: totalPrincipal === 0 ? null : 100,
  });
  return rows;
}

export interface RollCell {
  fromBucket: string;
  toBucket: string;
  loans: number;
  /** Total outstanding of those loans on the first date. */
  amountPaise: number;
}

export type RollDirection = 'forward' | 'stable' | 'rollBack' | 'cure';

/**
 * Where a loan went between two dates: to a worse bucket (forward), the same (stable), a better
 * one that is still delinquent (roll-back), or back to the first bucket from a delinquent one (cure).
 */
export function rollDirection(fromIndex: number, toIndex: number): RollDirection {
  if (toIndex > fromIndex) return 'forward';
  if (toIndex === fromIndex) return 'stable';
  return toIndex === 0 ? 'cure' : 'rollBack';
}

export type RollRateRow = Record<string, string | number | null>;

/** The keys of the roll-rate matrix's columns for the destination buckets. */
export function rollRateKeys(buckets: readonly string[]): { key: string; header: string; kind: 'integer' | 'paise' | 'percent' }[] {
  const keys: { key: string; header: string; kind: 'integer' | 'paise' | 'percent' }[] = [];
  for (const to of buckets) {
    keys.push({ key: `to_${to}_loans`, header: `→ ${to} loans`, kind: 'integer' });
    keys.push({ key: `to_${to}_loansPct`, header: `→ ${to} % of loans`, kind: 'percent' });
    keys.push({ key: `to_${to}_paise`, header: `→ ${to} amount`, kind: 'paise' });
    keys.push({ key: `to_${to}_paisePct`, header: `→ ${to} % of amount`, kind: 'percent' });
  }
  for (const direction of ['forward', 'stable', 'rollBack', 'cure'] as const) {
    keys.push({ key: `${direction}LoansPct`, header: `${direction} % of loans`, kind: 'percent' });
    keys.push({ key: `${direction}PaisePct`, header: `${direction} % of amount`, kind: 'percent' });
  }
  return keys;
}

/**
 * The roll-rate matrix: a row per bucket on the first date (every bucket, in order), with how many
 * loans (and how much outstanding) sat in each bucket on the second date, each row normalised to
 * 100 %, and the row's share that rolled forward, stayed, rolled back or was cured.
 */
export function rollRateRows(from: string, to: string, cells: readonly RollCell[], buckets: readonly string[]): RollRateRow[] {
  return buckets.map((fromBucket, fromIndex) => {
    const rowCells = cells.filter((cell) => cell.fromBucket === fromBucket);
    const loans = rowCells.reduce((sum, cell) => sum + cell.loans, 0);
    const amount = rowCells.reduce((sum, cell) => sum + cell.amountPaise, 0);
    const row: RollRateRow = { from, to, fromBucket, loans, amountPaise: amount };
    const directions = { forward: [0, 0], stable: [0, 0], rollBack: [0, 0], cure: [0, 0] } as Record<RollDirection, [number, number]>;
    buckets.forEach((toBucket, toIndex) => {
      const cell = rowCells.find((candidate) => candidate.toBucket === toBucket);
      const cellLoans = cell?.loans ?? 0;
      const cellAmount = cell?.amountPaise ?? 0;
      row[`to_${toBucket}_loans`] = cellLoans;
      row[`to_${toBucket}_loansPct`] = percent(cellLoans, loans);
      row[`to_${toBucket}_paise`] = cellAmount;
      row[`to_${toBucket}_paisePct`] = percent(cellAmount, amount);
      const sums = directions[rollDirection(fromIndex, toIndex)];
      sums[0] += cellLoans;
      sums[1] += cellAmount;
    });
    for (const [direction, [dirLoans, dirAmount]] of Object.entries(directions)) {
      row[`${direction}LoansPct`] = percent(dirLoans, loans);
      row[`${direction}PaisePct`] = percent(dirAmount, amount);
    }
    return row;
  });
}

export interface EfficiencyCell {
  month: string | null;
  collectorCode: string | null;
  collectorName: string | null;
  loans: number;
  demandPaise: number;
  collectedPaise: number;
  collectedAgainstDemandPaise: number;
}

export interface EfficiencyRow extends EfficiencyCell {
  collectionEfficiencyPct: number | null;
  billingEfficiencyPct: number | null;
}

/**
 * Collection efficiency: everything collected in the period (arrears, the period's dues, advance
 * payments and charges) ÷ what fell due in it. Billing efficiency: what was collected in the
 * month against that same month's dues ÷ those dues (arrears and prepayments left out).
 */
export function efficiencyRow(cell: EfficiencyCell): EfficiencyRow {
  return {
    ...cell,
    collectionEfficiencyPct: percent(cell.collectedPaise, cell.demandPaise),
    billingEfficiencyPct: percent(cell.collectedAgainstDemandPaise, cell.demandPaise),
  };
}
