import { sql, type Kysely } from 'kysely';
import { BUSINESS_ZONE, daysBetween, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';

/**
 * Reports of one row per record, read in pages by key (never OFFSET, never a long-open cursor), so
 * the export of a long history holds one page at a time and no transaction while the client reads.
 */

const PAGE = 1_000;

async function* pages<Row extends { id: number }>(read: (afterId: number, limit: number) => Promise<Row[]>): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows = await read(after, PAGE);
    for (const row of rows) yield row;
    const last = rows[rows.length - 1];
    if (rows.length < PAGE || last === undefined) return;
    after = last.id;
  }
}

export interface DpdRunRow {
  id: number;
  businessDate: string;
  trigger: string;
  triggeredBy: string | null;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  chunksTotal: number | null;
  loansScanned: number;
  dpdChanged: number;
  bucketChanges: number;
  escalations: number;
  error: string | null;
}

/** DPD runs whose business date is in the range, in the order they were started. */
export function dpdRunRows(db: Kysely<Database>, range: { from: BusinessDate; to: BusinessDate }): AsyncGenerator<DpdRunRow> {
  return pages(async (after, limit) => {
    const rows = await db
      .selectFrom('job_runs')
      .selectAll()
      .where('kind', '=', 'DPD')
      .where('business_date', '>=', range.from)
      .where('business_date', '<=', range.to)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      businessDate: row.business_date,
      trigger: row.trigger,
      triggeredBy: row.triggered_by,
      status: row.status,
      startedAt: row.started_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
      chunksTotal: row.chunks_total,
      loansScanned: row.loans_scanned,
      dpdChanged: row.dpd_changed,
      bucketChanges: row.bucket_changes,
      escalations: row.escalations,
      error: row.error,
    }));
  });
}

export interface LegalPipelineRow {
  id: number;
  caseStatus: string;
  openedOn: string;
  daysOpen: number;
  loanNumber: string;
  loanStatus: string;
  borrowerName: string;
  collectorCode: string | null;
  dpdAtOpening: number;
  outstandingAtOpeningPaise: number;
  dpd: number;
  bucket: string;
  totalOutstandingPaise: number;
  closedOn: string | null;
  closedReason: string | null;
}

/** Legal cases with their loan as it stands, oldest case first; open ones only unless asked. */
export function legalPipelineRows(
  db: Kysely<Database>,
  options: { status: 'OPEN' | 'CLOSED' | 'ALL'; today: BusinessDate },
): AsyncGenerator<LegalPipelineRow> {
  return pages(async (after, limit) => {
    const result = await sql<{
      id: number;
      status: string;
      opened_on: string;
      closed_on: string | null;
      closed_reason: string | null;
      loan_number: string;
      loan_status: string;
      borrower_name: string;
      collector_code: string | null;
      dpd_at_opening: number;
      outstanding_at_opening_paise: number;
      dpd: number;
      bucket: string;
      total_outstanding_paise: number;
    }>`
      SELECT lc.id, lc.status, lc.opened_on, (lc.closed_at AT TIME ZONE ${BUSINESS_ZONE})::date::text AS closed_on,
             lc.closed_reason, l.loan_number, l.status AS loan_status, b.name AS borrower_name, c.code AS collector_code,
             lc.dpd_at_opening, lc.outstanding_at_opening_paise, l.dpd, l.bucket, l.total_outstanding_paise
      FROM legal_cases lc
      JOIN loans l ON l.id = lc.loan_id
      JOIN borrowers b ON b.id = lc.borrower_id
      LEFT JOIN collectors c ON c.id = l.collector_id
      WHERE lc.id > ${after} AND (${options.status} = 'ALL' OR lc.status = ${options.status})
      ORDER BY lc.id
      LIMIT ${limit}`.execute(db);
    return result.rows.map((row) => {
      const end = row.closed_on ?? options.today;
      return {
        id: Number(row.id),
        caseStatus: row.status,
        openedOn: row.opened_on,
        daysOpen: Math.max(0, daysBetween(row.opened_on, end)),
        loanNumber: row.loan_number,
        loanStatus: row.loan_status,
        borrowerName: row.borrower_name,
        collectorCode: row.collector_code,
        dpdAtOpening: row.dpd_at_opening,
        outstandingAtOpeningPaise: Number(row.outstanding_at_opening_paise),
        dpd: row.dpd,
        bucket: row.bucket,
        totalOutstandingPaise: Number(row.total_outstanding_paise),
        closedOn: row.closed_on,
        closedReason: row.closed_reason,
      };
    });
  });
}
