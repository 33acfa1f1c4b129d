import type { Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { decodeCursor, encodeCursor } from '@loanops/loan-book';

export const LEGAL_CASE_STATUSES = ['OPEN', 'CLOSED'] as const;

/** A legal case as the API shows it, with the loan as it stands now. */
export interface LegalCaseView {
  id: number;
  status: (typeof LEGAL_CASE_STATUSES)[number];
  openedOn: string;
  openedAt: string;
  dpdAtOpening: number;
  outstandingAtOpeningPaise: number;
  runId: number | null;
  closedAt: string | null;
  closedReason: string | null;
  loan: {
    id: number;
    loanNumber: string;
    status: string;
    dpd: number;
    bucket: string;
    totalOutstandingPaise: number;
    collectorId: number | null;
  };
  borrower: { id: number; name: string; customerRef: string | null };
}

export interface LegalCaseFilters {
  status?: (typeof LEGAL_CASE_STATUSES)[number] | undefined;
  loanId?: number | undefined;
  borrowerId?: number | undefined;
  openedFrom?: BusinessDate | undefined;
  openedTo?: BusinessDate | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** A page of legal cases in id order, keyset-paginated like the loans. */
export async function listLegalCases(
  db: Kysely<Database>,
  filters: LegalCaseFilters,
): Promise<{ items: LegalCaseView[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('legal_cases as c')
    .innerJoin('loans as l', 'l.id', 'c.loan_id')
    .innerJoin('borrowers as b', 'b.id', 'c.borrower_id')
    .select([
      'c.id',
      'c.status',
      'c.opened_on',
      'c.opened_at',
      'c.dpd_at_opening',
      'c.outstanding_at_opening_paise',
      'c.run_id',
      'c.closed_at',
      'c.closed_reason',
      'l.id as loan_id',
      'l.loan_number',
      'l.status as loan_status',
      'l.dpd',
      'l.bucket',
      'l.total_outstanding_paise',
      'l.collector_id',
      'b.id as borrower_id',
      'b.name as borrower_name',
      'b.customer_ref',
    ]);
  if (filters.cursor !== undefined) query = query.where('c.id', '>', decodeCursor(filters.cursor));
  if (filters.status !== undefined) query = query.where('c.status', '=', filters.status);
  if (filters.loanId !== undefined) query = query.where('c.loan_id', '=', filters.loanId);
  if (filters.borrowerId !== undefined) query = query.where('c.borrower_id', '=', filters.borrowerId);
  if (filters.openedFrom !== undefined) query = query.where('c.opened_on', '>=', filters.openedFrom);
  if (filters.openedTo !== undefined) query = query.where('c.opened_on', '<=', filters.openedTo);
  const rows = await query.orderBy('c.id').limit(filters.limit + 1).execute();
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      status: row.status,
      openedOn: row.opened_on,
      openedAt: row.opened_at.toISOString(),
      dpdAtOpening: row.dpd_at_opening,
      outstandingAtOpeningPaise: row.outstanding_at_opening_paise,
      runId: row.run_id,
      closedAt: row.closed_at ? row.closed_at.toISOString() : null,
      closedReason: row.closed_reason,
      loan: {
        id: row.loan_id,
        loanNumber: row.loan_number,
        status: row.loan_status,
        dpd: row.dpd,
        bucket: row.bucket,
        totalOutstandingPaise: row.total_outstanding_paise,
        collectorId: row.collector_id,
      },
      borrower: { id: row.borrower_id, name: row.borrower_name, customerRef: row.customer_ref },
    })),
    nextCursor: rows.length > filters.limit && last ? encodeCursor(last.id) : null,
  };
}
