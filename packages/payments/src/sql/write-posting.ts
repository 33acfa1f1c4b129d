import { sql, type Transaction } from 'kysely';
import type { Allocation, BusinessDate } from '@loanops/domain';
import type { Database, LoanStatus } from '@loanops/db';
import type { StandingChange } from './loan-standing.js';

export interface PostingWrite {
  intakeId: string;
  utr: string;
  loanId: number;
  amountPaise: number;
  valueDate: BusinessDate;
  mode: string;
  today: BusinessDate;
  now: Date;
  allocations: readonly Allocation[];
  /** Per installment: what this payment adds to its interest and principal paid. */
  installmentPaid: ReadonlyMap<number, { interest: number; principal: number }>;
  chargePaid: ReadonlyMap<number, number>;
  /** The paid loan after the payment. */
  loan: {
    principalOutstandingPaise: number;
    interestOutstandingPaise: number;
    chargesOutstandingPaise: number;
    status: LoanStatus;
    closes: boolean;
    dpd: number;
    bucket: string;
  };
  /** Other loans of the borrower whose DPD or bucket moved. */
  siblingChanges: readonly StandingChange[];
  /** Bucket moves to record (the paid loan's and the siblings'). */
  bucketMoves: readonly StandingChange[];
  /** Audit entries; `paymentId` is added to each one's metadata by the statement. */
  audit: readonly { action: string; entityId: number; before: unknown; after: unknown; metadata: unknown }[];
  actorId: string;
  requestId: string | null;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Everything a posting writes, as one statement of data-modifying CTEs (one round trip on the
 * hot path): the payment (ON CONFLICT on the unique UTR: nothing else is written when it is taken),
 * its allocations, installments and charges paid, the loan's balances, status, DPD and bucket, the
 * borrower's other loans moved by borrower-wide NPA, bucket history, audit entries, and the intake
 * marked POSTED. Returns the payment id, or null when the UTR was already posted.
 */
export async function writePosting(trx: Transaction<Database>, write: PostingWrite): Promise<number | null> {
  const instIds = [...write.installmentPaid.keys()];
  const chargeIds = [...write.chargePaid.keys()];
  const result = await sql<{ id: number }>`
    WITH pay AS (
      INSERT INTO payments (intake_id, utr, loan_id, amount_paise, value_date, mode, posted_on, posted_at)
      VALUES (${write.intakeId}::uuid, ${write.utr}, ${write.loanId}, ${write.amountPaise}, ${write.valueDate}::date,
              ${write.mode}, ${write.today}::date, ${write.now})
      ON CONFLICT (utr) DO NOTHING
      RETURNING id
    ),
    alloc AS (
      INSERT INTO payment_allocations (payment_id, component, installment_id, charge_id, amount_paise)
      SELECT pay.id, a.component, a.installment_id, a.charge_id, a.amount
      FROM pay, unnest(
        ${write.allocations.map((a) => a.component)}::text[],
        ${write.allocations.map((a) => (a.component === 'CHARGE' ? null : a.installmentId))}::bigint[],
        ${write.allocations.map((a) => (a.component === 'CHARGE' ? a.chargeId : null))}::bigint[],
        ${write.allocations.map((a) => a.amountPaise)}::bigint[]
      ) WITH ORDINALITY AS a(component, installment_id, charge_id, amount, n)
      ORDER BY a.n
    ),
    inst AS (
      UPDATE installments AS i
      SET interest_paid_paise = i.interest_paid_paise + v.interest,
          principal_paid_paise = i.principal_paid_paise + v.principal,
          paid_on = CASE
            WHEN i.interest_paid_paise + v.interest = i.interest_due_paise
             AND i.principal_paid_paise + v.principal = i.principal_due_paise THEN ${write.today}::date
            ELSE NULL END
      FROM unnest(
        ${instIds}::bigint[],
        ${instIds.map((id) => write.installmentPaid.get(id)?.interest ?? 0)}::bigint[],
        ${instIds.map((id) => write.installmentPaid.get(id)?.principal ?? 0)}::bigint[]
      ) AS v(id, interest, principal)
      WHERE i.id = v.id AND EXISTS (SELECT 1 FROM pay)
    ),
    chg AS (
      UPDATE loan_charges AS c SET paid_paise = c.paid_paise + v.amount
      FROM unnest(${chargeIds}::bigint[], ${chargeIds.map((id) => write.chargePaid.get(id) ?? 0)}::bigint[]) AS v(id, amount)
      WHERE c.id = v.id AND EXISTS (SELECT 1 FROM pay)
    ),
    loan AS (
      UPDATE loans
      SET principal_outstanding_paise = ${write.loan.principalOutstandingPaise},
          interest_outstanding_paise = ${write.loan.interestOutstandingPaise},
          charges_outstanding_paise = ${write.loan.chargesOutstandingPaise},
          status = ${write.loan.status},
          closed_at = CASE WHEN ${write.loan.closes}::boolean THEN ${write.now}::timestamptz ELSE closed_at END,
          dpd = ${write.loan.dpd},
          bucket = ${write.loan.bucket},
          dpd_as_of = ${write.today}::date,
          version = version + 1
      WHERE id = ${write.loanId} AND EXISTS (SELECT 1 FROM pay)
    ),
    siblings AS (
      UPDATE loans AS l SET dpd = v.dpd, bucket = v.bucket, dpd_as_of = ${write.today}::date, version = l.version + 1
      FROM unnest(
        ${write.siblingChanges.map((c) => c.loanId)}::bigint[],
        ${write.siblingChanges.map((c) => c.dpdAfter)}::int[],
        ${write.siblingChanges.map((c) => c.bucketAfter)}::text[]
      ) AS v(id, dpd, bucket)
      WHERE l.id = v.id AND EXISTS (SELECT 1 FROM pay)
    ),
    history AS (
      INSERT INTO bucket_history (loan_id, business_date, from_bucket, to_bucket, dpd, cause, payment_id)
      SELECT h.loan_id, ${write.today}::date, h.from_bucket, h.to_bucket, h.dpd, 'PAYMENT', pay.id
      FROM pay, unnest(
        ${write.bucketMoves.map((c) => c.loanId)}::bigint[],
        ${write.bucketMoves.map((c) => c.bucketBefore)}::text[],
        ${write.bucketMoves.map((c) => c.bucketAfter)}::text[],
        ${write.bucketMoves.map((c) => c.dpdAfter)}::int[]
      ) AS h(loan_id, from_bucket, to_bucket, dpd)
    ),
    audit AS (
      INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, before, after, metadata, request_id)
      SELECT 'system', ${write.actorId}, a.action, 'loan', a.entity_id, a.before::jsonb, a.after::jsonb,
             a.metadata::jsonb || jsonb_build_object('paymentId', pay.id), ${write.requestId}
      FROM pay, unnest(
        ${write.audit.map((a) => a.action)}::text[],
        ${write.audit.map((a) => String(a.entityId))}::text[],
        ${write.audit.map((a) => json(a.before))}::text[],
        ${write.audit.map((a) => json(a.after))}::text[],
        ${write.audit.map((a) => json(a.metadata) ?? '{}')}::text[]
      ) WITH ORDINALITY AS a(action, entity_id, before, after, metadata, n)
      ORDER BY a.n
    ),
    done AS (
      UPDATE payment_intake SET status = 'POSTED', payment_id = pay.id, processed_at = ${write.now}
      FROM pay WHERE payment_intake.id = ${write.intakeId}::uuid
    )
    SELECT id FROM pay`.execute(trx);
  const row = result.rows[0];
  return row ? Number(row.id) : null;
}
