import { sql, type Kysely, type Transaction } from 'kysely';
import {
  allocatePayment,
  businessDateAt,
  checkPaymentRules,
  type BucketTable,
  type BusinessDate,
  type PaymentRuleCode,
} from '@loanops/domain';
import { isRetryableTransactionError, type Database } from '@loanops/db';
import { lockBorrowerLoans, standingChanges, type LockedLoan } from './sql/loan-standing.js';
import { readOpenDues, type OpenDues } from './sql/read-open-dues.js';
import { UtrTakenError, writePostingBatch, type PostingBatchWrite } from './sql/write-posting.js';

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

interface IntakeRow {
  id: string;
  utr: string;
  loan_id: number;
  amount_paise: number;
  value_date: string;
  mode: string;
  status: 'RECEIVED' | 'POSTED' | 'REJECTED';
  reject_code: string | null;
  payment_id: number | null;
  received_at: Date;
  received_by: string;
  request_id: string | null;
  borrower_id: number;
}

/** A loan as the batch sees it: locked state plus its open dues, changed as payments apply. */
interface LoanState extends LockedLoan {
  dues: OpenDues;
  closes: boolean;
  touched: boolean;
}

/** Posts one accepted payment (a batch of one). */
export async function postPayment(db: Kysely<Database>, intakeId: string, context: PostingContext): Promise<PostingOutcome> {
  const outcomes = await postPayments(db, [intakeId], context);
  return outcomes.get(intakeId) ?? { status: 'MISSING' };
}

/**
 * Posts accepted payments, many in one transaction: one commit and a handful of statements for the
 * whole batch, which is what lets a worker keep up with a bank's settlement file. Per payment the
 * rules are those of a single posting, applied in the order the payments were received: lock the
 * intakes and every loan of their borrowers (in id order), check the rules again against the loan
 * as the earlier payments left it, allocate (charges, then installments oldest first, interest
 * before principal), move installments, charges and balances, recompute DPD and bucket (sticky,
 * borrower-wide NPA) with a history row per move, close a loan with nothing left, audit before and
 * after, and record each intake's outcome. Processed intakes are left as they are, so running a
 * batch twice changes nothing.
 *
 * If the batch cannot commit (a deadlock, a UTR taken by a concurrent transaction), each payment is
 * posted again on its own, so one bad payment never holds up the others.
 */
export async function postPayments(
  db: Kysely<Database>,
  intakeIds: readonly string[],
  context: PostingContext,
): Promise<Map<string, PostingOutcome>> {
  const unique = [...new Set(intakeIds)];
  if (unique.length === 0) return new Map();
  try {
    return await db.transaction().execute((trx) => postBatch(trx, unique, context));
  } catch (error) {
    if (unique.length === 1 && !(error instanceof UtrTakenError)) throw error;
    if (unique.length > 1 && !(error instanceof UtrTakenError) && !isRetryableTransactionError(error)) throw error;
  }
  const outcomes = new Map<string, PostingOutcome>();
  for (const intakeId of unique) {
    const single = await db.transaction().execute((trx) => postBatch(trx, [intakeId], context, { utrTaken: true }));
    outcomes.set(intakeId, single.get(intakeId) ?? { status: 'MISSING' });
  }
  return outcomes;
}

async function postBatch(
  trx: Tx,
  intakeIds: readonly string[],
  context: PostingContext,
  options: { utrTaken?: boolean } = {},
): Promise<Map<string, PostingOutcome>> {
  const outcomes = new Map<string, PostingOutcome>();
  const lockedIntakes = await sql<IntakeRow>`/*prepared:lock-intakes*/
    SELECT i.id, i.utr, i.loan_id, i.amount_paise, i.value_date, i.mode, i.status, i.reject_code, i.payment_id,
           i.received_at, i.received_by, i.request_id, l.borrower_id
    FROM payment_intake i JOIN loans l ON l.id = i.loan_id
    WHERE i.id = ANY(${intakeIds}::uuid[])
    ORDER BY i.received_at, i.id
    FOR UPDATE OF i`.execute(trx);
  const intakes = lockedIntakes.rows.map((row) => ({
    ...row,
    loan_id: Number(row.loan_id),
    amount_paise: Number(row.amount_paise),
    payment_id: row.payment_id === null ? null : Number(row.payment_id),
    borrower_id: Number(row.borrower_id),
  }));
  for (const intakeId of intakeIds) outcomes.set(intakeId, { status: 'MISSING' });

  const waiting: IntakeRow[] = [];
  for (const intake of intakes) {
    if (intake.status === 'POSTED') {
      outcomes.set(intake.id, { status: 'POSTED', paymentId: intake.payment_id as number, alreadyDone: true });
    } else if (intake.status === 'REJECTED') {
      outcomes.set(intake.id, { status: 'REJECTED', code: intake.reject_code as RejectionCode, alreadyDone: true });
    } else {
      waiting.push(intake);
    }
  }
  if (waiting.length === 0) return outcomes;

  const today = businessDateAt(context.now);
  const locked = await lockBorrowerLoans(
    trx,
    waiting.map((intake) => intake.borrower_id),
    today,
  );
  const paidLoanIds = [...new Set(waiting.map((intake) => intake.loan_id))];
  const [dues, taken] = await Promise.all([readOpenDues(trx, paidLoanIds), postedUtrs(trx, waiting, options.utrTaken)]);
  const loans = new Map<number, LoanState>(
    locked.map((loan) => [
      loan.id,
      { ...loan, dues: dues.get(loan.id) ?? { charges: [], installments: [] }, closes: false, touched: false },
    ]),
  );

  const write: Omit<PostingBatchWrite, 'loans'> = {
    today,
    now: context.now,
    actorId: context.actorId,
    payments: [],
    allocations: [],
    installmentPaid: new Map(),
    chargePaid: new Map(),
    bucketMoves: [],
    audit: [],
    rejections: [],
  };
  const reject = (intake: IntakeRow, code: RejectionCode, message: string) => {
    write.rejections.push({ intakeId: intake.id, code, message });
    write.audit.push({
      intakeId: intake.id,
      action: 'PAYMENT_REJECTED',
      entityId: intake.loan_id,
      before: undefined,
      after: undefined,
      metadata: { intakeId: intake.id, utr: intake.utr, amountPaise: intake.amount_paise, code, message },
      requestId: intake.request_id,
    });
    outcomes.set(intake.id, { status: 'REJECTED', code, alreadyDone: false });
  };

  for (const intake of waiting) {
    const loan = loans.get(intake.loan_id) as LoanState;
    if (taken.has(intake.utr)) {
      reject(intake, 'DUPLICATE_UTR', `UTR ${intake.utr} is already posted`);
      continue;
    }
    const breach = checkPaymentRules({
      amountPaise: intake.amount_paise,
      valueDate: intake.value_date,
      receivedOn: businessDateAt(intake.received_at),
      loanStatus: loan.status,
      loanOutstandingPaise: loan.totalOutstandingPaise,
    });
    if (breach) {
      reject(intake, breach.code, breach.message);
      continue;
    }
    const allocation = allocatePayment(intake.amount_paise, loan.dues.charges, loan.dues.installments);
    if (!allocation.ok) {
      // The loan's balance said it could take the amount but its installments say otherwise.
      reject(intake, 'OVERPAYMENT', `above everything outstanding (${allocation.outstandingPaise} paise)`);
      continue;
    }

    const before = snapshot(loan);
    let paidCharges = 0;
    let paidInterest = 0;
    let paidPrincipal = 0;
    for (const part of allocation.allocations) {
      if (part.component === 'CHARGE') {
        paidCharges += part.amountPaise;
        const charge = loan.dues.charges.find((c) => c.id === part.chargeId);
        if (charge) charge.outstandingPaise -= part.amountPaise;
        write.chargePaid.set(part.chargeId, (write.chargePaid.get(part.chargeId) ?? 0) + part.amountPaise);
        write.allocations.push({ intakeId: intake.id, component: 'CHARGE', installmentId: null, chargeId: part.chargeId, amountPaise: part.amountPaise });
        continue;
      }
      const inst = loan.dues.installments.find((i) => i.id === part.installmentId);
      const delta = write.installmentPaid.get(part.installmentId) ?? { interest: 0, principal: 0 };
      if (part.component === 'INTEREST') {
        paidInterest += part.amountPaise;
        delta.interest += part.amountPaise;
        if (inst) inst.interestOutstandingPaise -= part.amountPaise;
      } else {
        paidPrincipal += part.amountPaise;
        delta.principal += part.amountPaise;
        if (inst) inst.principalOutstandingPaise -= part.amountPaise;
      }
      write.installmentPaid.set(part.installmentId, delta);
      write.allocations.push({
        intakeId: intake.id,
        component: part.component,
        installmentId: part.installmentId,
        chargeId: null,
        amountPaise: part.amountPaise,
      });
    }
    loan.principalOutstandingPaise -= paidPrincipal;
    loan.interestOutstandingPaise -= paidInterest;
    loan.chargesOutstandingPaise -= paidCharges;
    loan.totalOutstandingPaise -= intake.amount_paise;
    loan.touched = true;
    if (loan.totalOutstandingPaise === 0) {
      loan.status = 'CLOSED';
      loan.closes = true;
    }
    loan.oldestUnpaidDueOn = oldestUnpaid(loan.dues, today);

    const borrowerLoans = [...loans.values()].filter((candidate) => candidate.borrowerId === loan.borrowerId);
    const changes = standingChanges(borrowerLoans, today, context.bucketTable);
    for (const change of changes) {
      const moved = loans.get(change.loanId) as LoanState;
      moved.dpd = change.dpdAfter;
      moved.bucket = change.bucketAfter;
      moved.touched = true;
      if (change.bucketAfter === change.bucketBefore) continue;
      write.bucketMoves.push({
        intakeId: intake.id,
        loanId: change.loanId,
        from: change.bucketBefore,
        to: change.bucketAfter,
        dpd: change.dpdAfter,
      });
      if (change.loanId !== loan.id) {
        write.audit.push({
          intakeId: intake.id,
          action: 'LOAN_RECLASSIFIED',
          entityId: change.loanId,
          before: { dpd: change.dpdBefore, bucket: change.bucketBefore },
          after: { dpd: change.dpdAfter, bucket: change.bucketAfter },
          metadata: { reason: 'a payment on another loan of the borrower' },
          requestId: intake.request_id,
        });
      }
    }
    if (loan.closes) loan.dpd = 0;

    write.payments.push({
      intakeId: intake.id,
      utr: intake.utr,
      loanId: loan.id,
      amountPaise: intake.amount_paise,
      valueDate: intake.value_date,
      mode: intake.mode,
    });
    write.audit.push({
      intakeId: intake.id,
      action: 'PAYMENT_POSTED',
      entityId: loan.id,
      before,
      after: snapshot(loan),
      metadata: {
        intakeId: intake.id,
        utr: intake.utr,
        amountPaise: intake.amount_paise,
        valueDate: intake.value_date,
        mode: intake.mode,
        receivedBy: intake.received_by,
        allocated: { charges: paidCharges, interest: paidInterest, principal: paidPrincipal },
        closed: loan.closes,
      },
      requestId: intake.request_id,
    });
  }

  const touched = [...loans.values()].filter((loan) => loan.touched);
  const paymentIds = await writePostingBatch(trx, {
    ...write,
    loans: touched.map((loan) => ({
      id: loan.id,
      principalOutstandingPaise: loan.principalOutstandingPaise,
      interestOutstandingPaise: loan.interestOutstandingPaise,
      chargesOutstandingPaise: loan.chargesOutstandingPaise,
      status: loan.status,
      closes: loan.closes,
      dpd: loan.dpd,
      bucket: loan.bucket,
    })),
  });
  for (const [intakeId, paymentId] of paymentIds) outcomes.set(intakeId, { status: 'POSTED', paymentId, alreadyDone: false });
  return outcomes;
}

function snapshot(loan: LoanState) {
  return {
    status: loan.status,
    dpd: loan.dpd,
    bucket: loan.bucket,
    principalOutstandingPaise: loan.principalOutstandingPaise,
    interestOutstandingPaise: loan.interestOutstandingPaise,
    chargesOutstandingPaise: loan.chargesOutstandingPaise,
  };
}

/** The oldest installment still not fully paid among those due before today. */
function oldestUnpaid(dues: OpenDues, today: BusinessDate): BusinessDate | null {
  let oldest: BusinessDate | null = null;
  for (const inst of dues.installments) {
    if (inst.dueOn >= today || inst.interestOutstandingPaise + inst.principalOutstandingPaise === 0) continue;
    if (oldest === null || inst.dueOn < oldest) oldest = inst.dueOn;
  }
  return oldest;
}

/**
 * UTRs of the batch already posted. Normally none (a live intake holds its UTR), so this read is
 * only made when a batch failed on one; the unique index catches the rest.
 */
async function postedUtrs(trx: Tx, intakes: readonly IntakeRow[], check = false): Promise<Set<string>> {
  if (!check) return new Set();
  const rows = await trx
    .selectFrom('payments')
    .select('utr')
    .where(
      'utr',
      'in',
      intakes.map((intake) => intake.utr),
    )
    .execute();
  return new Set(rows.map((row) => row.utr));
}
