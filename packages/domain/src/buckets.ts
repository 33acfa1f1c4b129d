import { z } from 'zod';

/**
 * Delinquency buckets: each one starts at a DPD and runs up to the next one's start. The last
 * bucket is the non-performing one (RBI's NPA, 91+ DPD by default), which is sticky and
 * borrower-wide.
 */
export interface Bucket {
  name: string;
  minDpd: number;
}

export type BucketTable = readonly Bucket[];

/** RBI's special-mention and NPA classes (IRACP norms). */
export const DEFAULT_BUCKET_TABLE: BucketTable = [
  { name: 'CURRENT', minDpd: 0 },
  { name: 'SMA-0', minDpd: 1 },
  { name: 'SMA-1', minDpd: 31 },
  { name: 'SMA-2', minDpd: 61 },
  { name: 'NPA', minDpd: 91 },
];

/** A bucket table given in configuration: starts at 0, strictly increasing, unique names. */
export const bucketTableSchema = z
  .array(z.object({ name: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,19}$/), minDpd: z.number().int().min(0) }))
  .min(2)
  .superRefine((table, ctx) => {
    if (table[0]?.minDpd !== 0) ctx.addIssue({ code: 'custom', message: 'the first bucket must start at DPD 0' });
    for (let i = 1; i < table.length; i += 1) {
      const previous = table[i - 1];
      const current = table[i];
      if (previous && current && current.minDpd <= previous.minDpd) {
        ctx.addIssue({ code: 'custom', message: `bucket ${current.name} must start after ${previous.name}` });
      }
    }
    if (new Set(table.map((bucket) => bucket.name)).size !== table.length) {
      ctx.addIssue({ code: 'custom', message: 'bucket names must be unique' });
    }
  });

export function performingBucketName(table: BucketTable): string {
  return firstBucket(table).name;
}

export function npaBucket(table: BucketTable): Bucket {
  const last = table[table.length - 1];
  if (!last) throw new RangeError('empty bucket table');
  return last;
}

function firstBucket(table: BucketTable): Bucket {
  const first = table[0];
  if (!first) throw new RangeError('empty bucket table');
  return first;
}

/** The bucket a DPD falls in, by the table alone (no stickiness). */
export function bucketForDpd(dpd: number, table: BucketTable): string {
  let found = firstBucket(table);
  for (const bucket of table) {
    if (dpd >= bucket.minDpd) found = bucket;
  }
  return found.name;
}

export interface LoanStanding {
  id: number;
  dpd: number;
  /** The bucket the loan is in now; null for a loan being created. */
  bucket: string | null;
}

/**
 * Buckets for all live loans of one borrower.
 *
 * RBI classifies NPAs by borrower, and an NPA is upgraded only when all arrears are paid
 * (IRACP clarification of 12 November 2021): so when any loan is 91+ DPD, or the borrower is
 * already NPA and any loan still has arrears, every loan is NPA; otherwise each loan takes the
 * bucket its own DPD says.
 */
export function classifyBorrowerLoans(loans: readonly LoanStanding[], table: BucketTable): Map<number, string> {
  const npa = npaBucket(table);
  const anyOverNpaThreshold = loans.some((loan) => loan.dpd >= npa.minDpd);
  const alreadyNpa = loans.some((loan) => loan.bucket === npa.name);
  const anyArrears = loans.some((loan) => loan.dpd > 0);
  const borrowerNpa = anyOverNpaThreshold || (alreadyNpa && anyArrears);
  return new Map(loans.map((loan) => [loan.id, borrowerNpa ? npa.name : bucketForDpd(loan.dpd, table)]));
}
