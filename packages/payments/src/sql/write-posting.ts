import { sql, type Transaction } from 'kysely';
import type { AllocationComponent, BusinessDate } from '@loanops/domain';
import type { Database, LoanStatus } from '@loanops/db';

export interface PostingBatchWrite {
  today: BusinessDate;
  now: Date;
  actorId: string;
  payments: { intakeId: string; utr: string; loanId: number; amountPaise: number; valueDate: string; mode: string }[];
  allocations: {
    intakeId: string;
    component: AllocationComponent;
    installmentId: number | null;
    chargeId: number | null;
    amountPaise: number;
  }[];
  /** Per installment, what the batch adds to its interest and principal paid. */
  installmentPaid: Map<number, { interest: number; principal: number }>;
  chargePaid: Map<number, number>;
  /** Every loan the batch touched, as it stands at the end of the batch. */
  loans: {
    id: number;
    principalOutstandingPaise: number;
    interestOutstandingPaise: number;
    chargesOutstandingPaise: number;
    status: LoanStatus;
    closes: boolean;
    dpd: number;
    bucket: string;
  }[];
  /** Bucket moves, each attributed to the payment that caused it. */
  bucketMoves: { intakeId: string; loanId: number; from: string; to: string; dpd: number }[];
  /** Audit entries; the payment id of `intakeId` is added to the metadata of those that have one. */
  audit: {
    intakeId: string;
    action: string;
    entityId: number;
    before: unknown;
    after: unknown;
    metadata: unknown;
    requestId: string | null;
  }[];
  rejections: { intakeId: string; code: string; message: string }[];
}

/** A UTR in the batch turned out to be posted already (a race the reads could not see). */
export class UtrTakenError extends Error {
  constructor() {
    super('a UTR of the batch was posted by another transaction');
    this.name = 'UtrTakenError';
  }
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Everything a batch of postings writes, as one statement of data-modifying CTEs: payments (the
 * unique UTR is the last guard), allocations, installments and charges paid, the loans' balances,
 * statuses, DPD and buckets, bucket history, audit entries, and each intake's outcome. Returns the
 * payment id of each posted intake; throws UtrTakenError (the caller rolls back) when a UTR was taken.
 */
export async function writePostingBatch(trx: Transaction<Database>, write: PostingBatchWrite): Promise<Map<string, number>> {
  const instIds = [...write.installmentPaid.keys()];
  const chargeIds = [...write.chargePaid.keys()];
  const result = await sql<{ id: number; intake_id: string }>`/*prepared:write-posting*/
    WITH pay AS (
      INSERT INTO payments (intake_id, utr, loan_id, amount_paise, value_date, mode, posted_on, posted_at)
      SELECT p.intake_id, p.utr, p.loan_id, p.amount, p.value_date, p.mode, ${write.today}::date, ${write.now}::timestamptz
      FROM unnest(
        ${write.payments.map((p) => p.intakeId)}::uuid[],
        ${write.payments.map((p) => p.utr)}::text[],
        ${write.payments.map((p) => p.loanId)}::bigint[],
        ${write.payments.map((p) => p.amountPaise)}::bigint[],
        ${write.payments.map((p) => p.valueDate)}::date[],
        ${write.payments.map((p) => p.mode)}::text[]
      ) WITH ORDINALITY AS p(intake_id, utr, loan_id, amount, value_date, mode, n)
      ORDER BY p.n
      ON CONFLICT (utr) DO NOTHING
      RETURNING id, intake_id
    ),
    alloc AS (
      INSERT INTO payment_allocations (payment_id, component, installment_id, charge_id, amount_paise)
      SELECT pay.id, a.component, a.installment_id, a.charge_id, a.amount
      FROM unnest(
        ${write.allocations.map((a) => a.intakeId)}::uuid[],
        ${write.allocations.map((a) => a.component)}::text[],
        ${write.allocations.map((a) => a.installmentId)}::bigint[],
        ${write.allocations.map((a) => a.chargeId)}::bigint[],
        ${write.allocations.map((a) => a.amountPaise)}::bigint[]
      ) WITH ORDINALITY AS a(intake_id, component, installment_id, charge_id, amount, n)
      JOIN pay ON pay.intake_id = a.intake_id
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
      WHERE i.id = v.id
    ),
    chg AS (
      UPDATE loan_charges AS c SET paid_paise = c.paid_paise + v.amount
      FROM unnest(${chargeIds}::bigint[], ${chargeIds.map((id) => write.chargePaid.get(id) ?? 0)}::bigint[]) AS v(id, amount)
      WHERE c.id = v.id
    ),
    loan AS (
      UPDATE loans AS l
      SET principal_outstanding_paise = v.principal,
          interest_outstanding_paise = v.interest,
          charges_outstanding_paise = v.charges,
          status = v.status,
          closed_at = CASE WHEN v.closes THEN ${write.now}::timestamptz ELSE l.closed_at END,
          dpd = v.dpd,
          bucket = v.bucket,
          dpd_as_of = ${write.today}::date,
          version = l.version + 1
      FROM unnest(
        ${write.loans.map((l) => l.id)}::bigint[],
        ${write.loans.map((l) => l.principalOutstandingPaise)}::bigint[],
        ${write.loans.map((l) => l.interestOutstandingPaise)}::bigint[],
        ${write.loans.map((l) => l.chargesOutstandingPaise)}::bigint[],
        ${write.loans.map((l) => l.status)}::text[],
        ${write.loans.map((l) => l.closes)}::boolean[],
        ${write.loans.map((l) => l.dpd)}::int[],
        ${write.loans.map((l) => l.bucket)}::text[]
      ) AS v(id, principal, interest, charges, status, closes, dpd, bucket)
      WHERE l.id = v.id
    ),
    history AS (
      INSERT INTO bucket_history (loan_id, business_date, from_bucket, to_bucket, dpd, cause, payment_id)
      SELECT h.loan_id, ${write.today}::date, h.from_bucket, h.to_bucket, h.dpd, 'PAYMENT', pay.id
      FROM unnest(
        ${write.bucketMoves.map((m) => m.intakeId)}::uuid[],
        ${write.bucketMoves.map((m) => m.loanId)}::bigint[],
        ${write.bucketMoves.map((m) => m.from)}::text[],
        ${write.bucketMoves.map((m) => m.to)}::text[],
        ${write.bucketMoves.map((m) => m.dpd)}::int[]
      ) WITH ORDINALITY AS h(intake_id, loan_id, from_bucket, to_bucket, dpd, n)
      JOIN pay ON pay.intake_id = h.intake_id
      ORDER BY h.n
    ),
    audit AS (
      INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, before, after, metadata, request_id)
      SELECT 'system', ${write.actorId}, a.action, 'loan', a.entity_id, a.before::jsonb, a.after::jsonb,
             CASE WHEN pay.id IS NULL THEN a.metadata::jsonb
                  ELSE a.metadata::jsonb || jsonb_build_object('paymentId', pay.id) END,
             a.request_id
      FROM unnest(
        ${write.audit.map((a) => a.intakeId)}::uuid[],
        ${write.audit.map((a) => a.action)}::text[],
        ${write.audit.map((a) => String(a.entityId))}::text[],
        ${write.audit.map((a) => json(a.before))}::text[],
        ${write.audit.map((a) => json(a.after))}::text[],
        ${write.audit.map((a) => json(a.metadata) ?? '{}')}::text[],
        ${write.audit.map((a) => a.requestId)}::text[]
      ) WITH ORDINALITY AS a(intake_id, action, entity_id, before, after, metadata, request_id, n)
      LEFT JOIN pay ON pay.intake_id = a.intake_id
      ORDER BY a.n
    ),
    posted AS (
      UPDATE payment_intake AS i SET status = 'POSTED', payment_id = pay.id, processed_at = ${write.now}::timestamptz
      FROM pay WHERE i.id = pay.intake_id
    ),
    rejected AS (
      UPDATE payment_intake AS i
      SET status = 'REJECTED', reject_code = v.code, reject_message = v.message, processed_at = ${write.now}::timestamptz
      FROM unnest(
        ${write.rejections.map((r) => r.intakeId)}::uuid[],
        ${write.rejections.map((r) => r.code)}::text[],
        ${write.rejections.map((r) => r.message)}::text[]
      ) AS v(id, code, message)
      WHERE i.id = v.id
    )
    SELECT id, intake_id FROM pay`.execute(trx);
  if (result.rows.length !== write.payments.length) throw new UtrTakenError();
  return new Map(result.rows.map((row) => [row.intake_id, Number(row.id)]));
}
