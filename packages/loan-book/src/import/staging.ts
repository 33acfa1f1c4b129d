import { sql, type Transaction } from 'kysely';
import type { Database } from '@loanops/db';
import type { NewLoanRequest } from '../loan-input.js';
import { LOAN_COLUMNS, SCHEDULE_COLUMNS } from './columns.js';
import type { ScheduleLine } from './map-row.js';

/**
 * The import's working tables: temporary, private to the import's transaction, dropped when it
 * ends. Rows are staged here as they are read, so the process holds one batch at a time however
 * big the file is, and the checks that span rows (duplicates, the book, schedules) are queries.
 */

type Tx = Transaction<Database>;

/** The working tables, for the caller's transaction only. */
export async function createStaging(trx: Tx): Promise<void> {
  await sql`
    CREATE TEMP TABLE import_loans (
      row_no integer PRIMARY KEY,
      loan_number text,
      -- newLoanSchema's output without a schedule; null when the row has errors
      request jsonb,
      paid_to_date_paise bigint NOT NULL,
      ok boolean NOT NULL,
      duplicate boolean NOT NULL DEFAULT false,
      in_book boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
    CREATE INDEX import_loans_number ON import_loans (loan_number);

    CREATE TEMP TABLE import_schedule (
      row_no integer PRIMARY KEY,
      loan_number text NOT NULL,
      installment_no integer,
      due_on text,
      principal_paise bigint,
      interest_paise bigint,
      ok boolean NOT NULL
    ) ON COMMIT DROP;
    CREATE INDEX import_schedule_loan ON import_schedule (loan_number, installment_no);

    CREATE TEMP TABLE import_issues (
      seq bigint GENERATED ALWAYS AS IDENTITY,
      sheet text NOT NULL,
      row_no integer NOT NULL,
      column_name text,
      message text NOT NULL,
      loan_number text,
      -- kept even when the loan turns out to be in the book already
      sticky boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP;
  `.execute(trx);
}

export interface StagedLoan {
  row: number;
  loanNumber: string | null;
  request: NewLoanRequest | null;
  paidToDatePaise: number;
}

/** A batch of loans rows, good or bad (bad ones still take part in the duplicate check). */
export async function stageLoans(trx: Tx, loans: readonly StagedLoan[]): Promise<void> {
  if (loans.length === 0) return;
  await sql`
    INSERT INTO import_loans (row_no, loan_number, request, paid_to_date_paise, ok)
    SELECT row_no, loan_number, request, paid, request IS NOT NULL
    FROM unnest(${loans.map((loan) => loan.row)}::int[], ${loans.map((loan) => loan.loanNumber)}::text[],
                ${loans.map((loan) => (loan.request === null ? null : JSON.stringify(loan.request)))}::jsonb[],
                ${loans.map((loan) => loan.paidToDatePaise)}::bigint[])
      AS staged (row_no, loan_number, request, paid)`.execute(trx);
}

export interface StagedScheduleRow {
  row: number;
  loanNumber: string;
  /** All null when the row has errors of its own. */
  installmentNo: number | null;
  dueOn: string | null;
  principalPaise: number | null;
  interestPaise: number | null;
}

/** A batch of schedule rows. */
export async function stageSchedule(trx: Tx, rows: readonly StagedScheduleRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO import_schedule (row_no, loan_number, installment_no, due_on, principal_paise, interest_paise, ok)
    SELECT row_no, loan_number, installment_no, due_on, principal, interest, installment_no IS NOT NULL
    FROM unnest(${rows.map((row) => row.row)}::int[], ${rows.map((row) => row.loanNumber)}::text[],
                ${rows.map((row) => row.installmentNo)}::int[], ${rows.map((row) => row.dueOn)}::text[],
                ${rows.map((row) => row.principalPaise)}::bigint[], ${rows.map((row) => row.interestPaise)}::bigint[])
      AS staged (row_no, loan_number, installment_no, due_on, principal, interest)`.execute(trx);
}

export type SheetName = 'loans' | 'schedule';

export interface StagedIssue {
  sheet: SheetName;
  row: number;
  column: string | null;
  message: string;
  loanNumber: string | null;
}

/** Problems found in a batch, kept with the loan they concern. */
export async function recordIssues(trx: Tx, issues: readonly StagedIssue[]): Promise<void> {
  if (issues.length === 0) return;
  await sql`
    INSERT INTO import_issues (sheet, row_no, column_name, message, loan_number)
    SELECT * FROM unnest(${issues.map((issue) => issue.sheet)}::text[], ${issues.map((issue) => issue.row)}::int[],
                         ${issues.map((issue) => issue.column)}::text[], ${issues.map((issue) => issue.message)}::text[],
                         ${issues.map((issue) => issue.loanNumber)}::text[])`.execute(trx);
}

/** "5, 9, 12" — at most five row numbers, then an ellipsis. */
const rowList = (rows: string) => sql`array_to_string((${sql.raw(rows)})[1:5], ', ') || CASE WHEN cardinality(${sql.raw(rows)}) > 5 THEN ', …' ELSE '' END`;

/**
 * The checks that span rows, in order: a loan number twice in the file (both rows refused, even
 * if the book has it); an installment number twice for a loan; schedule rows of no loan in the
 * file; loans the book already has (skipped, and their rows' other problems dropped: the book's
 * version stands); loans whose schedule has a bad row.
 */
export async function checkAcrossRows(trx: Tx, loansLabel: string): Promise<void> {
  await sql`
    WITH repeated AS (
      SELECT loan_number, array_agg(row_no ORDER BY row_no) AS rows
      FROM import_loans WHERE loan_number IS NOT NULL GROUP BY loan_number HAVING count(*) > 1
    ), marked AS (
      UPDATE import_loans l SET duplicate = true, ok = false FROM repeated r
      WHERE l.loan_number = r.loan_number RETURNING l.row_no, l.loan_number, r.rows
    )
    INSERT INTO import_issues (sheet, row_no, column_name, message, loan_number, sticky)
    SELECT 'loans', row_no, 'loan_number',
           loan_number || ' appears more than once in the file (rows ' || ${rowList('rows')} || ')', loan_number, true
    FROM marked`.execute(trx);

  await sql`
    WITH repeated AS (
      SELECT loan_number, installment_no, array_agg(row_no ORDER BY row_no) AS rows
      FROM import_schedule WHERE ok GROUP BY loan_number, installment_no HAVING count(*) > 1
    ), marked AS (
      UPDATE import_schedule s SET ok = false FROM repeated r
      WHERE s.loan_number = r.loan_number AND s.installment_no = r.installment_no
      RETURNING s.row_no, s.loan_number, s.installment_no, r.rows
    )
    INSERT INTO import_issues (sheet, row_no, column_name, message, loan_number)
    SELECT 'schedule', row_no, 'installment_no',
           'installment ' || installment_no || ' of ' || loan_number || ' is on more than one row (rows ' || ${rowList('rows')} || ')',
           loan_number
    FROM marked`.execute(trx);

  await sql`
    INSERT INTO import_issues (sheet, row_no, column_name, message, loan_number, sticky)
    SELECT 'schedule', s.row_no, 'loan_number', s.loan_number || ' is not a loan_number in ' || ${loansLabel}, s.loan_number, true
    FROM import_schedule s
    WHERE NOT EXISTS (SELECT 1 FROM import_loans l WHERE l.loan_number = s.loan_number)`.execute(trx);

  await sql`
    UPDATE import_loans l SET in_book = true
    WHERE NOT duplicate AND EXISTS (SELECT 1 FROM loans b WHERE b.loan_number = l.loan_number)`.execute(trx);
  await sql`
    DELETE FROM import_issues i
    WHERE NOT sticky AND i.loan_number IN (SELECT loan_number FROM import_loans WHERE in_book)`.execute(trx);

  await sql`
    WITH broken AS (
      SELECT loan_number, array_agg(row_no ORDER BY row_no) AS rows FROM import_schedule WHERE NOT ok GROUP BY loan_number
    ), marked AS (
      UPDATE import_loans l SET ok = false FROM broken b
      WHERE l.loan_number = b.loan_number AND NOT l.in_book AND NOT l.duplicate
      RETURNING l.row_no, l.loan_number, b.rows
    )
    INSERT INTO import_issues (sheet, row_no, column_name, message, loan_number)
    SELECT 'loans', row_no, NULL, 'its schedule has errors (schedule rows ' || ${rowList('rows')} || ')', loan_number
    FROM marked`.execute(trx);
}

export interface LoanToCheck {
  row: number;
  loanNumber: string;
  /** As stageLoans wrote it from newLoanSchema's output; checkLoan parses it again. */
  request: NewLoanRequest;
  paidToDatePaise: number;
  schedule: ScheduleLine[];
}

/** The next batch of loans still good (not in the book, no errors), with their schedules. */
export async function nextGoodLoans(trx: Tx, afterRow: number, limit: number): Promise<LoanToCheck[]> {
  const loans = await sql<{ row_no: number; loan_number: string; request: NewLoanRequest; paid_to_date_paise: number }>`
    SELECT row_no, loan_number, request, paid_to_date_paise FROM import_loans
    WHERE ok AND NOT in_book AND row_no > ${afterRow}
    ORDER BY row_no LIMIT ${limit}`.execute(trx);
  if (loans.rows.length === 0) return [];
  const lines = await sql<{
    loan_number: string;
    row_no: number;
    installment_no: number;
    due_on: string;
    principal_paise: number;
    interest_paise: number;
  }>`
    SELECT loan_number, row_no, installment_no, due_on, principal_paise, interest_paise FROM import_schedule
    WHERE loan_number = ANY(${loans.rows.map((loan) => loan.loan_number)}::text[])
    ORDER BY loan_number, installment_no`.execute(trx);
  const schedules = new Map<string, ScheduleLine[]>();
  for (const line of lines.rows) {
    const schedule = schedules.get(line.loan_number) ?? [];
    schedule.push({
      row: line.row_no,
      installmentNo: line.installment_no,
      dueOn: line.due_on,
      principalPaise: line.principal_paise,
      interestPaise: line.interest_paise,
    });
    schedules.set(line.loan_number, schedule);
  }
  return loans.rows.map((loan) => ({
    row: loan.row_no,
    loanNumber: loan.loan_number,
    request: loan.request,
    paidToDatePaise: loan.paid_to_date_paise,
    schedule: schedules.get(loan.loan_number) ?? [],
  }));
}

/** Loans rows that failed the plan check. */
export async function markInvalid(trx: Tx, rows: readonly number[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`UPDATE import_loans SET ok = false WHERE row_no = ANY(${rows}::int[])`.execute(trx);
}

export interface StagedCounts {
  read: number;
  valid: number;
  invalid: number;
  alreadyInBook: number;
  scheduleRows: number;
  issues: number;
}

/** How the rows came out of the checks. */
export async function stagedCounts(trx: Tx): Promise<StagedCounts> {
  const result = await sql<StagedCounts>`
    SELECT
      (SELECT count(*) FROM import_loans)::int AS read,
      (SELECT count(*) FROM import_loans WHERE ok AND NOT in_book)::int AS valid,
      (SELECT count(*) FROM import_loans WHERE NOT ok AND NOT in_book)::int AS invalid,
      (SELECT count(*) FROM import_loans WHERE in_book)::int AS "alreadyInBook",
      (SELECT count(*) FROM import_schedule)::int AS "scheduleRows",
      (SELECT count(*) FROM import_issues)::int AS issues`.execute(trx);
  const [counts] = result.rows;
  if (!counts) throw new Error('staging counts returned no row');
  return counts;
}

/** The first `limit` problems: the loans sheet's first, each sheet by row, each row by column. */
export async function stagedIssues(
  trx: Tx,
  limit: number,
): Promise<{ sheet: SheetName; row: number; column: string | null; message: string }[]> {
  const result = await sql<{ sheet: SheetName; row: number; column: string | null; message: string }>`
    SELECT sheet, row_no AS row, column_name AS column, message FROM import_issues
    ORDER BY sheet = 'schedule', row_no,
      array_position(CASE WHEN sheet = 'loans' THEN ${LOAN_COLUMNS}::text[] ELSE ${SCHEDULE_COLUMNS}::text[] END, column_name)
        NULLS FIRST,
      seq
    LIMIT ${limit}`.execute(trx);
  return result.rows;
}
