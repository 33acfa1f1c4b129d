import { sql, type Kysely } from 'kysely';
import { ConflictError, NotFoundError, businessDateAt, type BucketTable } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import { lockBorrowerLoans, refreshStanding, type LockedLoan } from './sql/loan-standing.js';

export interface ReversalContext {
  actor: Actor;
  requestId: string | null;
  reason: string;
  bucketTable: BucketTable;
  now: Date;
}

/**
 * Reverses a posted payment (a bounced cheque or NACH, a returned transfer), once: its
 * allocations are taken off the installments and charges they paid, the loan's balances go back
 * up, a loan the payment closed reopens (LEGAL again when a legal case is open), DPD and buckets
 * are recomputed (history cause REVERSAL), and it is audited. The UTR stays taken.
 */
export async function reversePayment(db: Kysely<Database>, paymentId: number, context: ReversalContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const head = await trx
      .selectFrom('payments')
      .innerJoin('loans', 'loans.id', 'payments.loan_id')
      .select(['payments.loan_id', 'loans.borrower_id'])
      .where('payments.id', '=', paymentId)
      .executeTakeFirst();
    if (!head) throw new NotFoundError('payment', paymentId);
    // Loans first, in id order like every writer, then the payment row.
    const today = businessDateAt(context.now);
    const loans = await lockBorrowerLoans(trx, head.borrower_id, today);
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', paymentId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (payment.status === 'REVERSED') {
      throw new ConflictError('ALREADY_REVERSED', `payment ${paymentId} was reversed already`);
    }
    const loan = loans.find((candidate) => candidate.id === payment.loan_id) as LockedLoan;
    const before = { status: loan.status, dpd: loan.dpd, bucket: loan.bucket, totalOutstandingPaise: loan.totalOutstandingPaise };

    const parts = await trx.selectFrom('payment_allocations').selectAll().where('payment_id', '=', paymentId).execute();
    const totals = { charges: 0, interest: 0, principal: 0 };
    const perInstallment = new Map<number, { interest: number; principal: number }>();
    const perCharge = new Map<number, number>();
    for (const part of parts) {
      if (part.component === 'CHARGE' && part.charge_id !== null) {
        totals.charges += part.amount_paise;
        perCharge.set(part.charge_id, (perCharge.get(part.charge_id) ?? 0) + part.amount_paise);
      } else if (part.installment_id !== null) {
        const entry = perInstallment.get(part.installment_id) ?? { interest: 0, principal: 0 };
        if (part.component === 'INTEREST') {
          entry.interest += part.amount_paise;
          totals.interest += part.amount_paise;
        } else {
          entry.principal += part.amount_paise;
          totals.principal += part.amount_paise;
        }
        perInstallment.set(part.installment_id, entry);
      }
    }
    if (perInstallment.size > 0) {
      const ids = [...perInstallment.keys()];
      await sql`
        UPDATE installments AS i
        SET interest_paid_paise = i.interest_paid_paise - v.interest,
            principal_paid_paise = i.principal_paid_paise - v.principal,
            paid_on = NULL
        FROM unnest(${ids}::bigint[], ${ids.map((id) => perInstallment.get(id)?.interest ?? 0)}::bigint[],
                    ${ids.map((id) => perInstallment.get(id)?.principal ?? 0)}::bigint[]) AS v(id, interest, principal)
        WHERE i.id = v.id`.execute(trx);
    }
    if (perCharge.size > 0) {
      const ids = [...perCharge.keys()];
      await sql`
        UPDATE loan_charges AS c SET paid_paise = c.paid_paise - v.amount
        FROM unnest(${ids}::bigint[], ${ids.map((id) => perCharge.get(id) ?? 0)}::bigint[]) AS v(id, amount)
        WHERE c.id = v.id`.execute(trx);
    }

    let reopenedAs: 'ACTIVE' | 'LEGAL' | null = null;
    if (loan.status === 'CLOSED' && payment.amount_paise > 0) {
      const openCase = await trx
        .selectFrom('legal_cases')
        .select('id')
        .where('loan_id', '=', loan.id)
        .where('status', '=', 'OPEN')
        .executeTakeFirst();
      reopenedAs = openCase ? 'LEGAL' : 'ACTIVE';
    }
    await trx
      .updateTable('loans')
      .set({
        principal_outstanding_paise: sql`principal_outstanding_paise + ${totals.principal}`,
        interest_outstanding_paise: sql`interest_outstanding_paise + ${totals.interest}`,
        charges_outstanding_paise: sql`charges_outstanding_paise + ${totals.charges}`,
        ...(reopenedAs ? { status: reopenedAs, closed_at: null } : {}),
        version: sql`version + 1`,
      })
      .where('id', '=', loan.id)
      .execute();
    if (reopenedAs) loan.status = reopenedAs;
    loan.totalOutstandingPaise += totals.principal + totals.interest + totals.charges;

    await trx
      .updateTable('payments')
      .set({
        status: 'REVERSED',
        reversed_at: context.now,
        reversed_by: context.actor.id,
        reversal_reason: context.reason,
      })
      .where('id', '=', paymentId)
      .execute();

    const changes = await refreshStanding(trx, loans, { today, bucketTable: context.bucketTable, cause: 'REVERSAL', paymentId });
    const own = changes.find((change) => change.loanId === loan.id);
    await recordAudit(trx, [
      {
        actor: context.actor,
        action: 'PAYMENT_REVERSED',
        entityType: 'loan',
        entityId: loan.id,
        requestId: context.requestId,
        before,
        after: {
          status: loan.status,
          dpd: own?.dpdAfter ?? loan.dpd,
          bucket: own?.bucketAfter ?? loan.bucket,
          totalOutstandingPaise: loan.totalOutstandingPaise,
        },
        metadata: { paymentId, utr: payment.utr, amountPaise: payment.amount_paise, reason: context.reason, restored: totals },
      },
      ...changes
        .filter((change) => change.loanId !== loan.id && change.bucketAfter !== change.bucketBefore)
        .map((change) => ({
          actor: context.actor,
          action: 'LOAN_RECLASSIFIED',
          entityType: 'loan',
          entityId: change.loanId,
          requestId: context.requestId,
          before: { dpd: change.dpdBefore, bucket: change.bucketBefore },
          after: { dpd: change.dpdAfter, bucket: change.bucketAfter },
          metadata: { reason: 'a payment on another loan of the borrower was reversed', paymentId },
        })),
    ]);
  });
}
