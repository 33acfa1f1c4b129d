import type { Kysely, Transaction } from 'kysely';
import {
  allocatePayment,
  businessDateAt,
  checkPaymentRules,
  type Allocation,
  type BucketTable,
  type BusinessDate,
  type OpenInstallment,
  type PaymentRuleCode,
} from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import { lockBorrowerLoans, standingChanges, type LockedLoan } from './sql/loan-standing.js';
import { readOpenDues } from './sql/read-open-dues.js';
import { writePosting } from './sql/write-posting.js';

type Tx = Transaction<Database>;

export type RejectionCode = PaymentRuleCode | 'DUPLICATE_UTR';

export type PostingOutcome =
  | { status: 'POSTED'; paymentId: number; alreadyDone: boolean }
  | { status: 'REJECTED'; code: RejectionCode; alreadyDone: boolean }
  | { status: 'MISSING' };

export interface PostingContext {
  bucketTable: BucketTable;
  now: Date;
  /** Who posts: the worker's name, for the audit trail. */
  actorId: string;
}

/**
 * Posts one accepted payment in one transaction: lock the intake and the borrower's loans, check
 * the rules again, allocate, and write the payment (the unique UTR is the last guard), its
 * allocations, installments, charges, balances, DPD and buckets, a closed status when nothing is
 * left, history, audit and the intake's outcome. Running it twice is harmless: a processed
 * intake is left as it is. Five round trips whatever the loan: the reads, then one write.
 */
export async function postPayment(
  db: Kysely<Database>,
  intakeId: string,
  context: PostingContext,
): Promise<PostingOutcome> {
  return db.transaction().execute(async (trx) => {
    const intake = await trx
      .selectFrom('payment_intake')
      .innerJoin('loans', 'loans.id', 'payment_intake.loan_id')
      .select([
        'payment_intake.id',
        'payment_intake.utr',
        'payment_intake.loan_id',
        'payment_intake.amount_paise',
        'payment_intake.value_date',
        'payment_intake.mode',
        'payment_intake.status',
        'payment_intake.reject_code',
        'payment_intake.payment_id',
        'payment_intake.received_at',
        'payment_intake.received_by',
        'payment_intake.request_id',
        'loans.borrower_id',
      ])
      .where('payment_intake.id', '=', intakeId)
      .forUpdate('payment_intake')
      .executeTakeFirst();
    if (!intake) return { status: 'MISSING' };
    if (intake.status === 'POSTED') return { status: 'POSTED', paymentId: intake.payment_id as number, alreadyDone: true };
    if (intake.status === 'REJECTED') {
      return { status: 'REJECTED', code: intake.reject_code as RejectionCode, alreadyDone: true };
    }

    const today = businessDateAt(context.now);
    const loans = await lockBorrowerLoans(trx, intake.borrower_id, today);
    const loan = loans.find((candidate) => candidate.id === intake.loan_id) as LockedLoan;
    const breach = checkPaymentRules({
      amountPaise: intake.amount_paise,
      valueDate: intake.value_date,
      receivedOn: businessDateAt(intake.received_at),
      loanStatus: loan.status,
      loanOutstandingPaise: loan.totalOutstandingPaise,
    });
    if (breach) return reject(trx, intake, breach.code, breach.message, context);

    const dues = await readOpenDues(trx, loan.id);
    const allocation = allocatePayment(intake.amount_paise, dues.charges, dues.installments);
    if (!allocation.ok) {
      // The loan's balance said it could take the amount but its installments say otherwise.
      const message = `above everything outstanding (${allocation.outstandingPaise} paise)`;
      return reject(trx, intake, 'OVERPAYMENT', message, context);
    }

    const paid = sumAllocations(allocation.allocations);
    const after = {
      principalOutstandingPaise: loan.principalOutstandingPaise - paid.principal,
      interestOutstandingPaise: loan.interestOutstandingPaise - paid.interest,
      chargesOutstandingPaise: loan.chargesOutstandingPaise - paid.charges,
    };
    const closes =
      after.principalOutstandingPaise === 0 && after.interestOutstandingPaise === 0 && after.chargesOutstandingPaise === 0;
    const status = closes ? 'CLOSED' : loan.status;
    const changes = standingChanges(
      loans.map((candidate) =>
        candidate.id === loan.id
          ? {
              ...candidate,
              status,
              oldestUnpaidDueOn: oldestUnpaidAfter(dues.installments, paid.perInstallment, today),
            }
          : candidate,
      ),
      today,
      context.bucketTable,
    );
    const own = changes.find((change) => change.loanId === loan.id);
    const dpd = closes ? 0 : (own?.dpdAfter ?? loan.dpd);
    const bucket = own?.bucketAfter ?? loan.bucket;
    const siblingChanges = changes.filter((change) => change.loanId !== loan.id);
    const bucketMoves = changes.filter((change) => change.bucketAfter !== change.bucketBefore);

    const paymentId = await writePosting(trx, {
      intakeId: intake.id,
      utr: intake.utr,
      loanId: loan.id,
      amountPaise: intake.amount_paise,
      valueDate: intake.value_date,
      mode: intake.mode,
      today,
      now: context.now,
      allocations: allocation.allocations,
      installmentPaid: paid.perInstallment,
      chargePaid: paid.perCharge,
      loan: { ...after, status, closes, dpd, bucket },
      siblingChanges,
      bucketMoves,
      actorId: context.actorId,
      requestId: intake.request_id,
      audit: [
        {
          action: 'PAYMENT_POSTED',
          entityId: loan.id,
          before: {
            status: loan.status,
            dpd: loan.dpd,
            bucket: loan.bucket,
            principalOutstandingPaise: loan.principalOutstandingPaise,
            interestOutstandingPaise: loan.interestOutstandingPaise,
            chargesOutstandingPaise: loan.chargesOutstandingPaise,
          },
          after: { status, dpd, bucket, ...after },
          metadata: {
            intakeId: intake.id,
            utr: intake.utr,
            amountPaise: intake.amount_paise,
            valueDate: intake.value_date,
            mode: intake.mode,
            receivedBy: intake.received_by,
            allocated: { charges: paid.charges, interest: paid.interest, principal: paid.principal },
            closed: closes,
          },
        },
        ...siblingChanges
          .filter((change) => change.bucketAfter !== change.bucketBefore)
          .map((change) => ({
            action: 'LOAN_RECLASSIFIED',
            entityId: change.loanId,
            before: { dpd: change.dpdBefore, bucket: change.bucketBefore },
            after: { dpd: change.dpdAfter, bucket: change.bucketAfter },
            metadata: { reason: 'a payment on another loan of the borrower' },
          })),
      ],
    });
    if (paymentId === null) return reject(trx, intake, 'DUPLICATE_UTR', `UTR ${intake.utr} is already posted`, context);
    return { status: 'POSTED', paymentId, alreadyDone: false };
  });
}

function sumAllocations(allocations: readonly Allocation[]) {
  const totals = {
    charges: 0,
    interest: 0,
    principal: 0,
    perInstallment: new Map<number, { interest: number; principal: number }>(),
    perCharge: new Map<number, number>(),
  };
  for (const part of allocations) {
    if (part.component === 'CHARGE') {
      totals.charges += part.amountPaise;
      totals.perCharge.set(part.chargeId, (totals.perCharge.get(part.chargeId) ?? 0) + part.amountPaise);
      continue;
    }
    const entry = totals.perInstallment.get(part.installmentId) ?? { interest: 0, principal: 0 };
    if (part.component === 'INTEREST') {
      entry.interest += part.amountPaise;
      totals.interest += part.amountPaise;
    } else {
      entry.principal += part.amountPaise;
      totals.principal += part.amountPaise;
    }
    totals.perInstallment.set(part.installmentId, entry);
  }
  return totals;
}

/** The oldest installment still not fully paid after this payment, among those due before today. */
function oldestUnpaidAfter(
  installments: readonly OpenInstallment[],
  paid: ReadonlyMap<number, { interest: number; principal: number }>,
  today: BusinessDate,
): BusinessDate | null {
  let oldest: BusinessDate | null = null;
  for (const inst of installments) {
    if (inst.dueOn >= today) continue;
    const part = paid.get(inst.id) ?? { interest: 0, principal: 0 };
    const left = inst.interestOutstandingPaise - part.interest + inst.principalOutstandingPaise - part.principal;
    if (left > 0 && (oldest === null || inst.dueOn < oldest)) oldest = inst.dueOn;
  }
  return oldest;
}

async function reject(
  trx: Tx,
  intake: { id: string; loan_id: number; utr: string; amount_paise: number; request_id: string | null },
  code: RejectionCode,
  message: string,
  context: PostingContext,
): Promise<PostingOutcome> {
  await trx
    .updateTable('payment_intake')
    .set({ status: 'REJECTED', reject_code: code, reject_message: message, processed_at: context.now })
    .where('id', '=', intake.id)
    .execute();
  await recordAudit(trx, {
    actor: { type: 'system', id: context.actorId },
    action: 'PAYMENT_REJECTED',
    entityType: 'loan',
    entityId: intake.loan_id,
    requestId: intake.request_id,
    metadata: { intakeId: intake.id, utr: intake.utr, amountPaise: intake.amount_paise, code, message },
  });
  return { status: 'REJECTED', code, alreadyDone: false };
}
