import { sql, type Transaction } from 'kysely';
import {
  PAYABLE_STATUSES,
  classifyBorrowerLoans,
  daysBetween,
  type BucketTable,
  type BusinessDate,
} from '@loanops/domain';
import type { BucketCause, Database, LoanStatus } from '@loanops/db';

type Tx = Transaction<Database>;

export interface LockedLoan {
  id: number;
  borrowerId: number;
  status: LoanStatus;
  dpd: number;
  bucket: string;
  principalOutstandingPaise: number;
  interestOutstandingPaise: number;
  chargesOutstandingPaise: number;
  totalOutstandingPaise: number;
  /** The due date of its oldest installment not fully paid that fell due before `asOf`. */
  oldestUnpaidDueOn: BusinessDate | null;
}

/**
 * Locks every loan of the given borrowers, in id order (the order every writer locks loans in, so
 * two transactions touching one borrower queue behind each other instead of deadlocking), with
 * what each one's DPD on `asOf` would be read from.
 */
export async function lockBorrowerLoans(
  trx: Tx,
  borrowerIds: number | readonly number[],
  asOf: BusinessDate,
): Promise<LockedLoan[]> {
  const ids = typeof borrowerIds === 'number' ? [borrowerIds] : [...new Set(borrowerIds)];
  const result = await sql<{
    id: number;
    borrower_id: number;
    status: LoanStatus;
    dpd: number;
    bucket: string;
    principal_outstanding_paise: number;
    interest_outstanding_paise: number;
    charges_outstanding_paise: number;
    total_outstanding_paise: number;
    oldest_unpaid_due_on: string | null;
  }>`/*prepared:lock-borrower-loans*/
    SELECT l.id, l.borrower_id, l.status, l.dpd, l.bucket, l.principal_outstanding_paise,
           l.interest_outstanding_paise, l.charges_outstanding_paise, l.total_outstanding_paise,
           (SELECT min(i.due_on) FROM installments i
             WHERE i.loan_id = l.id AND i.due_on < ${asOf}::date
               AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
           ) AS oldest_unpaid_due_on
    FROM loans l
    WHERE l.borrower_id = ANY(${ids}::bigint[])
    ORDER BY l.id
    FOR UPDATE OF l`.execute(trx);
  return result.rows.map((row) => ({
    id: Number(row.id),
    borrowerId: Number(row.borrower_id),
    status: row.status,
    dpd: row.dpd,
    bucket: row.bucket,
    principalOutstandingPaise: Number(row.principal_outstanding_paise),
    interestOutstandingPaise: Number(row.interest_outstanding_paise),
    chargesOutstandingPaise: Number(row.charges_outstanding_paise),
    totalOutstandingPaise: Number(row.total_outstanding_paise),
    oldestUnpaidDueOn: row.oldest_unpaid_due_on,
  }));
}

export interface StandingChange {
  loanId: number;
  dpdBefore: number;
  dpdAfter: number;
  bucketBefore: string;
  bucketAfter: string;
}

/**
 * The DPD and bucket each live loan of a borrower should have on `today`, given each one's oldest
 * unpaid due date (sticky, borrower-wide NPA by classifyBorrowerLoans): the loans whose DPD or
 * bucket differ from what they hold now.
 */
export function standingChanges(
  loans: readonly Pick<LockedLoan, 'id' | 'status' | 'dpd' | 'bucket' | 'oldestUnpaidDueOn'>[],
  today: BusinessDate,
  bucketTable: BucketTable,
): StandingChange[] {
  const live = loans.filter((loan) => (PAYABLE_STATUSES as readonly string[]).includes(loan.status));
  const dpdOf = (loan: (typeof live)[number]) =>
    loan.oldestUnpaidDueOn === null ? 0 : daysBetween(loan.oldestUnpaidDueOn, today);
  const buckets = classifyBorrowerLoans(
    live.map((loan) => ({ id: loan.id, dpd: dpdOf(loan), bucket: loan.bucket })),
    bucketTable,
  );
  const changes: StandingChange[] = [];
  for (const loan of live) {
    const dpdAfter = dpdOf(loan);
    const bucketAfter = buckets.get(loan.id) as string;
    if (dpdAfter !== loan.dpd || bucketAfter !== loan.bucket) {
      changes.push({ loanId: loan.id, dpdBefore: loan.dpd, dpdAfter, bucketBefore: loan.bucket, bucketAfter });
    }
  }
  return changes;
}

/**
 * After money moved on a borrower's locked loans (`loans` carrying any status change the caller
 * made): reads each live loan's oldest unpaid due date again, and writes the DPD and bucket
 * changes with a bucket-history row for each bucket change.
 */
export async function refreshStanding(
  trx: Tx,
  loans: readonly LockedLoan[],
  context: { today: BusinessDate; bucketTable: BucketTable; cause: BucketCause; paymentId?: number },
): Promise<StandingChange[]> {
  const ids = loans.map((loan) => loan.id);
  if (ids.length === 0) return [];
  const oldest = await sql<{ loan_id: number; due_on: string }>`
    SELECT loan_id, min(due_on) AS due_on
    FROM installments
    WHERE loan_id = ANY(${ids}::bigint[])
      AND (principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
      AND due_on < ${context.today}::date
    GROUP BY loan_id`.execute(trx);
  const oldestDue = new Map(oldest.rows.map((row) => [Number(row.loan_id), row.due_on]));
  const changes = standingChanges(
    loans.map((loan) => ({ ...loan, oldestUnpaidDueOn: oldestDue.get(loan.id) ?? null })),
    context.today,
    context.bucketTable,
  );
  for (const change of changes) {
    await trx
      .updateTable('loans')
      .set({ dpd: change.dpdAfter, bucket: change.bucketAfter, dpd_as_of: context.today })
      .where('id', '=', change.loanId)
      .execute();
  }
  const moved = changes.filter((change) => change.bucketAfter !== change.bucketBefore);
  if (moved.length > 0) {
    await trx
      .insertInto('bucket_history')
      .values(
        moved.map((change) => ({
          loan_id: change.loanId,
          business_date: context.today,
          from_bucket: change.bucketBefore,
          to_bucket: change.bucketAfter,
          dpd: change.dpdAfter,
          cause: context.cause,
          payment_id: context.paymentId ?? null,
        })),
      )
      .execute();
  }
  return changes;
}
