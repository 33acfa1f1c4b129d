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
}

/**
 * Locks every loan of a borrower, in id order (the order every writer locks loans in, so two
 * payments of one borrower queue behind each other instead of deadlocking).
 */
export async function lockBorrowerLoans(trx: Tx, borrowerId: number): Promise<LockedLoan[]> {
  const rows = await trx
    .selectFrom('loans')
    .select([
      'id',
      'borrower_id',
      'status',
      'dpd',
      'bucket',
      'principal_outstanding_paise',
      'interest_outstanding_paise',
      'charges_outstanding_paise',
      'total_outstanding_paise',
    ])
    .where('borrower_id', '=', borrowerId)
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((row) => ({
    id: row.id,
    borrowerId: row.borrower_id,
    status: row.status,
    dpd: row.dpd,
    bucket: row.bucket,
    principalOutstandingPaise: row.principal_outstanding_paise,
    interestOutstandingPaise: row.interest_outstanding_paise,
    chargesOutstandingPaise: row.charges_outstanding_paise,
    totalOutstandingPaise: row.total_outstanding_paise,
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
 * After money moved on a borrower's loans: each live loan's DPD on `today` from its installments,
 * the borrower's buckets (sticky, borrower-wide NPA), the loans updated where either changed, and
 * a bucket-history row for each bucket change. `loans` must be locked (lockBorrowerLoans) and carry
 * any status change the caller made.
 */
export async function refreshStanding(
  trx: Tx,
  loans: readonly LockedLoan[],
  context: { today: BusinessDate; bucketTable: BucketTable; cause: BucketCause; paymentId?: number },
): Promise<StandingChange[]> {
  const live = loans.filter((loan) => (PAYABLE_STATUSES as readonly string[]).includes(loan.status));
  if (live.length === 0) return [];
  const oldest = await sql<{ loan_id: number; due_on: string }>`
    SELECT loan_id, min(due_on)::text AS due_on
    FROM installments
    WHERE loan_id = ANY(${live.map((loan) => loan.id)}::bigint[])
      AND (principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
      AND due_on < ${context.today}::date
    GROUP BY loan_id`.execute(trx);
  const oldestDue = new Map(oldest.rows.map((row) => [Number(row.loan_id), row.due_on]));
  const dpdOf = (loanId: number) => {
    const due = oldestDue.get(loanId);
    return due === undefined ? 0 : daysBetween(due, context.today);
  };
  const buckets = classifyBorrowerLoans(
    live.map((loan) => ({ id: loan.id, dpd: dpdOf(loan.id), bucket: loan.bucket })),
    context.bucketTable,
  );

  const changes: StandingChange[] = [];
  for (const loan of live) {
    const dpdAfter = dpdOf(loan.id);
    const bucketAfter = buckets.get(loan.id) as string;
    if (dpdAfter === loan.dpd && bucketAfter === loan.bucket) continue;
    changes.push({ loanId: loan.id, dpdBefore: loan.dpd, dpdAfter, bucketBefore: loan.bucket, bucketAfter });
  }
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
