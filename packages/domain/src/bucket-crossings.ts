import { addDays, daysBetween, type BusinessDate } from './business-date.js';
import { classifyBorrowerLoans, npaBucket, type BucketTable } from './buckets.js';

/** A live loan as the daily run finds it: the standing it holds, and what its installments say now. */
export interface HeldStanding {
  id: number;
  /** The DPD and bucket the loan holds, computed as of `asOf`. */
  dpd: number;
  bucket: string;
  asOf: BusinessDate;
  /** Due date of its oldest installment not fully paid that fell due before the run's date. */
  oldestUnpaidDueOn: BusinessDate | null;
}

/** One threshold crossed: the bucket-history row of it. */
export interface BucketCrossing {
  /** The business date the loan crossed it (its DPD reached the bucket's start, or the borrower went NPA). */
  date: BusinessDate;
  from: string;
  to: string;
  /** The loan's DPD on that date. */
  dpd: number;
}

export interface Reclassification {
  loanId: number;
  dpdBefore: number;
  dpdAfter: number;
  bucketBefore: string;
  bucketAfter: string;
  /** Oldest first, chained from bucketBefore to bucketAfter; empty when only the DPD moved. */
  crossings: BucketCrossing[];
}

/** DPD on `date` of a loan whose oldest unpaid installment fell due on `oldest`. */
function dpdOn(oldest: BusinessDate | null, date: BusinessDate): number {
  return oldest !== null && oldest < date ? daysBetween(oldest, date) : 0;
}

const later = (a: BusinessDate, b: BusinessDate): BusinessDate => (a > b ? a : b);
const earlier = (a: BusinessDate, b: BusinessDate): BusinessDate => (a < b ? a : b);

/**
 * The day-end process of one borrower for business date `on`: each live loan's DPD and bucket on
 * `on` (sticky, borrower-wide NPA: classifyBorrowerLoans, the rule payments use too), and for each
 * loan whose bucket moves, one crossing per threshold passed, dated the day it was passed, so runs
 * the scheduler missed leave the same history as daily runs would have. A loan whose DPD went from
 * 25 to 65 between two runs gets SMA-0 → SMA-1 on the day its DPD became 31 and SMA-1 → SMA-2 on
 * the day it became 61; a loan pulled into NPA by another loan of its borrower crosses into NPA on
 * the day the first of them reached the NPA threshold (RBI classifies NPAs by borrower).
 *
 * Without payments DPD only grows, so buckets only move up between two runs; a move down (held
 * standing that no longer fits, e.g. after the bucket table changed) is one crossing dated `on`.
 * A borrower any of whose loans already stands as of a later date than `on` is left as it is.
 * Returns only the loans whose DPD or bucket changes.
 */
export function reclassifyBorrower(
  loans: readonly HeldStanding[],
  on: BusinessDate,
  table: BucketTable,
): Reclassification[] {
  if (loans.some((loan) => loan.asOf > on)) return [];
  const npa = npaBucket(table);
  const dpdAfter = new Map(loans.map((loan) => [loan.id, dpdOn(loan.oldestUnpaidDueOn, on)]));
  const bucketAfter = classifyBorrowerLoans(
    loans.map((loan) => ({ id: loan.id, dpd: dpdAfter.get(loan.id) as number, bucket: loan.bucket })),
    table,
  );
  // The day the borrower became NPA: the first day one of its loans reached the NPA threshold.
  let npaDay: BusinessDate | null = null;
  for (const loan of loans) {
    if (loan.oldestUnpaidDueOn === null) continue;
    const reached = addDays(loan.oldestUnpaidDueOn, npa.minDpd);
    if (reached <= on && (npaDay === null || reached < npaDay)) npaDay = reached;
  }

  const changes: Reclassification[] = [];
  for (const loan of loans) {
    const after = bucketAfter.get(loan.id) as string;
    const dpd = dpdAfter.get(loan.id) as number;
    if (dpd === loan.dpd && after === loan.bucket) continue;
    changes.push({
      loanId: loan.id,
      dpdBefore: loan.dpd,
      dpdAfter: dpd,
      bucketBefore: loan.bucket,
      bucketAfter: after,
      crossings: after === loan.bucket ? [] : crossings(loan, after, dpd, on, table, npaDay),
    });
  }
  return changes;
}

function crossings(
  loan: HeldStanding,
  after: string,
  dpdAfter: number,
  on: BusinessDate,
  table: BucketTable,
  npaDay: BusinessDate | null,
): BucketCrossing[] {
  const from = table.findIndex((bucket) => bucket.name === loan.bucket);
  const to = table.findIndex((bucket) => bucket.name === after);
  if (from < 0 || to <= from) return [{ date: on, from: loan.bucket, to: after, dpd: dpdAfter }];

  const npaIndex = table.length - 1;
  // When the loan ends NPA, the day it went NPA; its own thresholds from that day on are moot.
  const npaOn = to === npaIndex ? (npaDay ?? on) : null;
  // Never before the day after the standing it held (nor after `on`), and in order.
  let floor = earlier(addDays(loan.asOf, 1), on);
  let previous = loan.bucket;
  const rows: BucketCrossing[] = [];
  for (let index = from + 1; index <= to; index += 1) {
    const bucket = table[index] as (typeof table)[number];
    let date: BusinessDate;
    if (index === npaIndex) {
      date = npaOn as BusinessDate;
    } else {
      if (loan.oldestUnpaidDueOn === null) continue;
      date = addDays(loan.oldestUnpaidDueOn, bucket.minDpd);
      if (npaOn !== null && date >= npaOn) continue;
    }
    date = earlier(later(date, floor), on);
    rows.push({ date, from: previous, to: bucket.name, dpd: dpdOn(loan.oldestUnpaidDueOn, date) });
    previous = bucket.name;
    floor = date;
  }
  return rows;
}
