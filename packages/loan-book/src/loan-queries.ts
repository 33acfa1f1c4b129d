import type { Kysely } from 'kysely';
import { NotFoundError, type BusinessDate } from '@loanops/domain';
import type { Database, LoanStatus } from '@loanops/db';
import { decodeCursor, encodeCursor } from './cursor.js';
import { toInstallmentView, toLoanSummary, type LoanSummary, type LoanView } from './loan-view.js';

const LOAN_COLUMNS = [
  'loans.id',
  'loans.loan_number',
  'loans.status',
  'loans.dpd',
  'loans.bucket',
  'loans.dpd_as_of',
  'loans.collector_id',
  'loans.principal_paise',
  'loans.annual_rate_bps',
  'loans.tenure_months',
  'loans.disbursed_on',
  'loans.first_due_on',
  'loans.principal_outstanding_paise',
  'loans.interest_outstanding_paise',
  'loans.charges_outstanding_paise',
  'loans.total_outstanding_paise',
  'loans.tags',
  'loans.notes',
  'loans.source',
  'loans.created_at',
  'loans.updated_at',
  'loans.closed_at',
  'borrowers.id as borrower_id',
  'borrowers.customer_ref as borrower_customer_ref',
  'borrowers.name as borrower_name',
  'borrowers.phone as borrower_phone',
  'borrowers.email as borrower_email',
  'borrowers.address as borrower_address',
  'borrowers.pin_code as borrower_pin_code',
  'borrowers.language as borrower_language',
] as const;

export interface LoanScope {
  /** A collector sees only the loans allocated to them. */
  collectorId?: number | undefined;
}

function baseQuery(db: Kysely<Database>) {
  return db.selectFrom('loans').innerJoin('borrowers', 'borrowers.id', 'loans.borrower_id').select(LOAN_COLUMNS);
}

/** One loan with its borrower and schedule; NotFoundError outside the caller's scope. */
export async function getLoan(
  db: Kysely<Database>,
  id: number,
  today: BusinessDate,
  scope: LoanScope = {},
): Promise<LoanView> {
  let query = baseQuery(db).where('loans.id', '=', id);
  if (scope.collectorId !== undefined) query = query.where('loans.collector_id', '=', scope.collectorId);
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError('loan', id);
  const installments = await db
    .selectFrom('installments')
    .selectAll()
    .where('loan_id', '=', id)
    .orderBy('seq')
    .execute();
  const views = installments.map((inst) => toInstallmentView(inst, today));
  const overduePaise = views.reduce((sum, inst) => sum + (inst.status === 'OVERDUE' ? inst.outstandingPaise : 0), 0);
  const summary = toLoanSummary(row);
  return { ...summary, outstanding: { ...summary.outstanding, overduePaise }, installments: views };
}

export interface LoanFilters {
  bucket?: string | undefined;
  status?: LoanStatus | undefined;
  collectorId?: number | undefined;
  borrowerId?: number | undefined;
  loanNumber?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface LoanPage {
  items: LoanSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A page of loans in id order, keyset-paginated so deep pages cost the same as the first. */
export async function listLoans(db: Kysely<Database>, filters: LoanFilters, scope: LoanScope = {}): Promise<LoanPage> {
  let query = baseQuery(db);
  if (filters.cursor !== undefined) query = query.where('loans.id', '>', decodeCursor(filters.cursor));
  if (filters.bucket !== undefined) query = query.where('loans.bucket', '=', filters.bucket);
  if (filters.status !== undefined) query = query.where('loans.status', '=', filters.status);
  if (filters.collectorId !== undefined) query = query.where('loans.collector_id', '=', filters.collectorId);
  if (filters.borrowerId !== undefined) query = query.where('loans.borrower_id', '=', filters.borrowerId);
  if (filters.loanNumber !== undefined) query = query.where('loans.loan_number', '=', filters.loanNumber);
  if (scope.collectorId !== undefined) query = query.where('loans.collector_id', '=', scope.collectorId);
  const rows = await query.orderBy('loans.id').limit(filters.limit + 1).execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    items: page.map(toLoanSummary),
    nextCursor: rows.length > filters.limit && last ? encodeCursor(last.id) : null,
  };
}

/** The id of a loan by its number, for requests that name loans that way. */
export async function findLoanId(db: Kysely<Database>, loanNumber: string): Promise<number | null> {
  const row = await db.selectFrom('loans').select('id').where('loan_number', '=', loanNumber).executeTakeFirst();
  return row?.id ?? null;
}
