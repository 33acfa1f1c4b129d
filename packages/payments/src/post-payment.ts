import { sql, type Kysely, type Transaction } from 'kysely';
import {
  allocatePayment,
  businessDateAt,
  checkPaymentRules,
  type Allocation,
  type BucketTable,
  type BusinessDate,
  type PaymentRuleCode,
} from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import { lockBorrowerLoans, refreshStanding, type LockedLoan, type StandingChange } from './sql/loan-standing.js';

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

const SYSTEM = (id: string) => ({ type: 'system' as const, id });

/**
 * Posts one accepted payment in one transaction: lock the intake and the borrower's loans, check
 * the rules again, insert the payment (the unique UTR is the last guard), allocate, update
 * installments, charges and balances, recompute DPD and buckets, close a loan with nothing left,
 * audit, and mark the intake. Running it twice is harmless: a processed intake is left as it is.
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
    const loans = await lockBorrowerLoans(trx, intake.borrower_id);
    const loan = loans.find((candidate) => candidate.id === intake.loan_id) as LockedLoan;

    const breach = checkPaymentRules({
      amountPaise: intake.amount_paise,
      valueDate: intake.value_date,
      receivedOn: businessDateAt(intake.received_at),
      loanStatus: loan.status,
      loanOutstandingPaise: loan.totalOutstandingPaise,
    });
    if (breach) return reject(trx, intake, breach.code, breach.message, context);

    const [installments, charges] = await Promise.all([
      trx
        .selectFrom('installments')
        .select([
          'id',
          'seq',
          'due_on',
          sql<number>`interest_due_paise - interest_paid_paise`.as('interest_out'),
          sql<number>`principal_due_paise - principal_paid_paise`.as('principal_out'),
        ])
        .where('loan_id', '=', loan.id)
        // Parenthesised: raw SQL is spliced in as written, next to the loan_id condition.
        .where(sql<boolean>`(principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)`)
        .orderBy('due_on')
        .orderBy('seq')
        .execute(),
      trx
        .selectFrom('loan_charges')
        .select(['id', 'levied_on', sql<number>`amount_paise - paid_paise`.as('outstanding')])
        .where('loan_id', '=', loan.id)
        .where(sql<boolean>`paid_paise < amount_paise`)
        .orderBy('levied_on')
        .orderBy('id')
        .execute(),
    ]);
    const allocation = allocatePayment(
      intake.amount_paise,
      charges.map((c) => ({ id: c.id, leviedOn: c.levied_on, outstandingPaise: Number(c.outstanding) })),
      installments.map((i) => ({
        id: i.id,
        seq: i.seq,
        dueOn: i.due_on,
        interestOutstandingPaise: Number(i.interest_out),
        principalOutstandingPaise: Number(i.principal_out),
      })),
    );
    if (!allocation.ok) {
      // The loan's balance said it could take the amount but its installments say otherwise.
      return reject(trx, intake, 'OVERPAYMENT', `above everything outstanding (${allocation.outstandingPaise} paise)`, context);
    }

    const inserted = await trx
      .insertInto('payments')
      .values({
        intake_id: intake.id,
        utr: intake.utr,
        loan_id: loan.id,
        amount_paise: intake.amount_paise,
        value_date: intake.value_date,
        mode: intake.mode,
        posted_on: today,
      })
      .onConflict((conflict) => conflict.column('utr').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return reject(trx, intake, 'DUPLICATE_UTR', `UTR ${intake.utr} is already posted`, context);
    const paymentId = inserted.id;

    const totals = await applyAllocations(trx, paymentId, allocation.allocations, today);
    const before = snapshot(loan);
    const principalLeft = loan.principalOutstandingPaise - totals.principal;
    const interestLeft = loan.interestOutstandingPaise - totals.interest;
    const chargesLeft = loan.chargesOutstandingPaise - totals.charges;
    const closes = principalLeft === 0 && interestLeft === 0 && chargesLeft === 0;
    await trx
      .updateTable('loans')
      .set({
        principal_outstanding_paise: principalLeft,
        interest_outstanding_paise: interestLeft,
        charges_outstanding_paise: chargesLeft,
        ...(closes ? { status: 'CLOSED' as const, closed_at: context.now } : {}),
        version: sql`version + 1`,
      })
      .where('id', '=', loan.id)
      .execute();
    loan.principalOutstandingPaise = principalLeft;
    loan.interestOutstandingPaise = interestLeft;
    loan.chargesOutstandingPaise = chargesLeft;
    loan.totalOutstandingPaise = principalLeft + interestLeft + chargesLeft;
    if (closes) loan.status = 'CLOSED';

    const changes = await refreshStanding(trx, loans, {
      today,
      bucketTable: context.bucketTable,
      cause: 'PAYMENT',
      paymentId,
    });
    const own = changes.find((change) => change.loanId === loan.id);
    await recordAudit(trx, [
      {
        actor: SYSTEM(context.actorId),
        action: 'PAYMENT_POSTED',
        entityType: 'loan',
        entityId: loan.id,
        requestId: intake.request_id,
        before,
        after: {
          ...snapshot(loan),
          dpd: own?.dpdAfter ?? loan.dpd,
          bucket: own?.bucketAfter ?? loan.bucket,
        },
        metadata: {
          paymentId,
          intakeId: intake.id,
          utr: intake.utr,
          amountPaise: intake.amount_paise,
          valueDate: intake.value_date,
          mode: intake.mode,
          receivedBy: intake.received_by,
          allocated: totals,
          closed: closes,
        },
      },
      ...siblingAudit(changes, loan.id, context.actorId, paymentId, intake.request_id),
    ]);
    await trx
      .updateTable('payment_intake')
      .set({ status: 'POSTED', payment_id: paymentId, processed_at: context.now })
      .where('id', '=', intake.id)
      .execute();
    return { status: 'POSTED', paymentId, alreadyDone: false };
  });
}

function snapshot(loan: LockedLoan) {
  return {
    status: loan.status,
    dpd: loan.dpd,
    bucket: loan.bucket,
    principalOutstandingPaise: loan.principalOutstandingPaise,
    interestOutstandingPaise: loan.interestOutstandingPaise,
    chargesOutstandingPaise: loan.chargesOutstandingPaise,
  };
}

function siblingAudit(changes: StandingChange[], loanId: number, actorId: string, paymentId: number, requestId: string | null) {
  return changes
    .filter((change) => change.loanId !== loanId && change.bucketAfter !== change.bucketBefore)
    .map((change) => ({
      actor: SYSTEM(actorId),
      action: 'LOAN_RECLASSIFIED',
      entityType: 'loan',
      entityId: change.loanId,
      requestId,
      before: { dpd: change.dpdBefore, bucket: change.bucketBefore },
      after: { dpd: change.dpdAfter, bucket: change.bucketAfter },
      metadata: { reason: 'a payment on another loan of the borrower', paymentId },
    }));
}

/** Writes the allocation rows and moves the paid amounts onto installments and charges. */
async function applyAllocations(trx: Tx, paymentId: number, allocations: readonly Allocation[], today: BusinessDate) {
  const totals = { charges: 0, interest: 0, principal: 0 };
  const perInstallment = new Map<number, { interest: number; principal: number }>();
  const perCharge = new Map<number, number>();
  for (const part of allocations) {
    if (part.component === 'CHARGE') {
      totals.charges += part.amountPaise;
      perCharge.set(part.chargeId, (perCharge.get(part.chargeId) ?? 0) + part.amountPaise);
      continue;
    }
    const entry = perInstallment.get(part.installmentId) ?? { interest: 0, principal: 0 };
    if (part.component === 'INTEREST') {
      entry.interest += part.amountPaise;
      totals.interest += part.amountPaise;
    } else {
      entry.principal += part.amountPaise;
      totals.principal += part.amountPaise;
    }
    perInstallment.set(part.installmentId, entry);
  }
  if (allocations.length > 0) {
    await trx
      .insertInto('payment_allocations')
      .values(
        allocations.map((part) => ({
          payment_id: paymentId,
          component: part.component,
          installment_id: part.component === 'CHARGE' ? null : part.installmentId,
          charge_id: part.component === 'CHARGE' ? part.chargeId : null,
          amount_paise: part.amountPaise,
        })),
      )
      .execute();
  }
  if (perInstallment.size > 0) {
    const ids = [...perInstallment.keys()];
    await sql`
      UPDATE installments AS i
      SET interest_paid_paise = i.interest_paid_paise + v.interest,
          principal_paid_paise = i.principal_paid_paise + v.principal,
          paid_on = CASE
            WHEN i.interest_paid_paise + v.interest = i.interest_due_paise
             AND i.principal_paid_paise + v.principal = i.principal_due_paise THEN ${today}::date
            ELSE NULL END
      FROM unnest(${ids}::bigint[], ${ids.map((id) => perInstallment.get(id)?.interest ?? 0)}::bigint[],
                  ${ids.map((id) => perInstallment.get(id)?.principal ?? 0)}::bigint[]) AS v(id, interest, principal)
      WHERE i.id = v.id`.execute(trx);
  }
  if (perCharge.size > 0) {
    const ids = [...perCharge.keys()];
    await sql`
      UPDATE loan_charges AS c SET paid_paise = c.paid_paise + v.amount
      FROM unnest(${ids}::bigint[], ${ids.map((id) => perCharge.get(id) ?? 0)}::bigint[]) AS v(id, amount)
      WHERE c.id = v.id`.execute(trx);
  }
  return totals;
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
    actor: SYSTEM(context.actorId),
    action: 'PAYMENT_REJECTED',
    entityType: 'loan',
    entityId: intake.loan_id,
    requestId: intake.request_id,
    metadata: { intakeId: intake.id, utr: intake.utr, amountPaise: intake.amount_paise, code, message },
  });
  return { status: 'REJECTED', code, alreadyDone: false };
}
