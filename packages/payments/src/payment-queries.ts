import type { Kysely } from 'kysely';
import { NotFoundError } from '@loanops/domain';
import type { Database } from '@loanops/db';

export interface IntakeView {
  intakeId: string;
  status: 'RECEIVED' | 'POSTED' | 'REJECTED';
  code?: string;
  message?: string;
  paymentId?: number;
  utr: string;
  loanId: number;
  amountPaise: number;
  valueDate: string;
  mode: string;
  receivedAt: string;
  processedAt: string | null;
}

export async function getIntake(db: Kysely<Database>, intakeId: string): Promise<IntakeView> {
  const row = await db.selectFrom('payment_intake').selectAll().where('id', '=', intakeId).executeTakeFirst();
  if (!row) throw new NotFoundError('payment intake', intakeId);
  return {
    intakeId: row.id,
    status: row.status,
    ...(row.reject_code ? { code: row.reject_code, message: row.reject_message ?? '' } : {}),
    ...(row.payment_id ? { paymentId: row.payment_id } : {}),
    utr: row.utr,
    loanId: row.loan_id,
    amountPaise: row.amount_paise,
    valueDate: row.value_date,
    mode: row.mode,
    receivedAt: row.received_at.toISOString(),
    processedAt: row.processed_at?.toISOString() ?? null,
  };
}

export interface PaymentView {
  id: number;
  intakeId: string;
  utr: string;
  loanId: number;
  amountPaise: number;
  valueDate: string;
  mode: string;
  status: 'POSTED' | 'REVERSED';
  postedOn: string;
  postedAt: string;
  reversal: { at: string; by: string; reason: string } | null;
  allocations: { component: string; installmentId: number | null; chargeId: number | null; amountPaise: number }[];
}

function paymentsQuery(db: Kysely<Database>) {
  return db.selectFrom('payments').selectAll();
}

async function withAllocations(
  db: Kysely<Database>,
  rows: Awaited<ReturnType<ReturnType<typeof paymentsQuery>['execute']>>,
): Promise<PaymentView[]> {
  if (rows.length === 0) return [];
  const parts = await db
    .selectFrom('payment_allocations')
    .selectAll()
    .where(
      'payment_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    intakeId: row.intake_id,
    utr: row.utr,
    loanId: row.loan_id,
    amountPaise: row.amount_paise,
    valueDate: row.value_date,
    mode: row.mode,
    status: row.status,
    postedOn: row.posted_on,
    postedAt: row.posted_at.toISOString(),
    reversal:
      row.status === 'REVERSED'
        ? { at: row.reversed_at?.toISOString() ?? '', by: row.reversed_by ?? '', reason: row.reversal_reason ?? '' }
        : null,
    allocations: parts
      .filter((part) => part.payment_id === row.id)
      .map((part) => ({
        component: part.component,
        installmentId: part.installment_id,
        chargeId: part.charge_id,
        amountPaise: part.amount_paise,
      })),
  }));
}

export async function getPayment(db: Kysely<Database>, paymentId: number): Promise<PaymentView> {
  const rows = await paymentsQuery(db).where('id', '=', paymentId).execute();
  const [view] = await withAllocations(db, rows);
  if (!view) throw new NotFoundError('payment', paymentId);
  return view;
}

/** Payments by UTR and/or loan, newest first (at most `limit`). */
export async function findPayments(
  db: Kysely<Database>,
  filters: { utr?: string | undefined; loanId?: number | undefined; limit: number },
): Promise<PaymentView[]> {
  let query = paymentsQuery(db);
  if (filters.utr !== undefined) query = query.where('utr', '=', filters.utr);
  if (filters.loanId !== undefined) query = query.where('loan_id', '=', filters.loanId);
  return withAllocations(db, await query.orderBy('id', 'desc').limit(filters.limit).execute());
}
