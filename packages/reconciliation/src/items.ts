import type { Kysely } from 'kysely';
import type { Database, ReconciliationOutcome } from '@loanops/db';
import type { ReportColumn } from '@loanops/reports';

export interface ReconciliationItemRow {
  id: number;
  outcome: ReconciliationOutcome;
  /** The payment's UTR, else the statement's; null when the statement line has none (NO_UTR). */
  utr: string | null;
  /** The statement's reference cell as written; null for a payment the statement does not show. */
  reference: string | null;
  row: number | null;
  bankValueDate: string | null;
  bankAmountPaise: number | null;
  paymentId: number | null;
  loanNumber: string | null;
  postedValueDate: string | null;
  postedAmountPaise: number | null;
  differencePaise: number | null;
  note: string | null;
}

export const RECONCILIATION_OUTCOMES: readonly ReconciliationOutcome[] = ['MATCHED', 'AMOUNT_MISMATCH', 'IN_BANK_NOT_POSTED', 'POSTED_NOT_IN_BANK', 'NO_UTR'];

const PAGE = 1_000;

/** A statement's items (the differences first when no outcome is asked for), read a page at a time. */
export async function* reconciliationItems(
  db: Kysely<Database>,
  statementId: number,
  outcome?: ReconciliationOutcome,
): AsyncGenerator<ReconciliationItemRow> {
  let after = 0;
  for (;;) {
    let query = db
      .selectFrom('reconciliation_items as r')
      .leftJoin('loans as l', 'l.id', 'r.loan_id')
      .select([
        'r.id',
        'r.outcome',
        'r.utr',
        'r.reference',
        'r.row_no',
        'r.bank_value_date',
        'r.bank_amount_paise',
        'r.payment_id',
        'l.loan_number',
        'r.posted_value_date',
        'r.posted_amount_paise',
        'r.note',
      ])
      .where('r.statement_id', '=', statementId)
      .where('r.id', '>', after)
      .orderBy('r.id')
      .limit(PAGE);
    if (outcome !== undefined) query = query.where('r.outcome', '=', outcome);
    const rows = await query.execute();
    for (const row of rows) {
      yield {
        id: Number(row.id),
        outcome: row.outcome,
        utr: row.utr,
        reference: row.reference,
        row: row.row_no,
        bankValueDate: row.bank_value_date,
        bankAmountPaise: row.bank_amount_paise === null ? null : Number(row.bank_amount_paise),
        paymentId: row.payment_id === null ? null : Number(row.payment_id),
        loanNumber: row.loan_number,
        postedValueDate: row.posted_value_date,
        postedAmountPaise: row.posted_amount_paise === null ? null : Number(row.posted_amount_paise),
        differencePaise:
          row.outcome === 'AMOUNT_MISMATCH' && row.bank_amount_paise !== null && row.posted_amount_paise !== null
            ? Number(row.bank_amount_paise) - Number(row.posted_amount_paise)
            : null,
        note: row.note,
      };
    }
    const last = rows[rows.length - 1];
    if (rows.length < PAGE || last === undefined) return;
    after = Number(last.id);
  }
}

/** The export's columns (JSON keys and CSV headers; XLSX shows the headers, amounts in rupees). */
export const RECONCILIATION_COLUMNS: readonly ReportColumn<ReconciliationItemRow>[] = [
  { key: 'outcome', header: 'Outcome', kind: 'text' },
  { key: 'utr', header: 'UTR', kind: 'text' },
  { key: 'reference', header: 'Statement reference', kind: 'text' },
  { key: 'row', header: 'Statement row', kind: 'integer' },
  { key: 'bankValueDate', header: 'Bank value date', kind: 'date' },
  { key: 'bankAmountPaise', header: 'Bank amount', kind: 'paise' },
  { key: 'paymentId', header: 'Payment', kind: 'integer' },
  { key: 'loanNumber', header: 'Loan', kind: 'text' },
  { key: 'postedValueDate', header: 'Posted value date', kind: 'date' },
  { key: 'postedAmountPaise', header: 'Posted amount', kind: 'paise' },
  { key: 'differencePaise', header: 'Bank minus posted', kind: 'paise' },
  { key: 'note', header: 'Note', kind: 'text' },
];
