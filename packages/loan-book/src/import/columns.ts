import type { CellValue } from './cells.js';

/**
 * The columns of the spreadsheet the loan book is imported from (docs/import-format.md).
 * Headers match case-insensitively, ignoring spaces, underscores and hyphens, so
 * "Loan Number", "LOAN-NUMBER" and "loan_number" are the same column.
 */

export const LOAN_COLUMNS = [
  'loan_number',
  'customer_ref',
  'borrower_name',
  'phone',
  'email',
  'address',
  'pin_code',
  'language',
  'principal',
  'annual_rate',
  'tenure_months',
  'disbursed_on',
  'first_due_on',
  'paid_to_date',
  'collector_code',
  'tags',
  'notes',
] as const;
export type LoanColumn = (typeof LOAN_COLUMNS)[number];

export const REQUIRED_LOAN_COLUMNS: readonly LoanColumn[] = [
  'loan_number',
  'borrower_name',
  'phone',
  'principal',
  'annual_rate',
  'tenure_months',
  'disbursed_on',
];

export const SCHEDULE_COLUMNS = ['loan_number', 'installment_no', 'due_on', 'principal', 'interest'] as const;
export type ScheduleColumn = (typeof SCHEDULE_COLUMNS)[number];
export const REQUIRED_SCHEDULE_COLUMNS: readonly ScheduleColumn[] = SCHEDULE_COLUMNS;

/** `Loan Number` → `loannumber`: the form headers are compared in. */
export function normalizeHeader(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Where each known column sits in a row (0-based), and what was wrong with the header. */
export interface HeaderMatch<C extends string> {
  index: ReadonlyMap<C, number>;
  missing: C[];
  /** Columns named twice: ambiguous, so refused. */
  repeated: C[];
  /** Headers that name no known column; their cells are ignored. */
  ignored: string[];
}

/** Finds the known columns in a header row; unknown headers are listed, not refused. */
export function matchHeader<C extends string>(
  cells: readonly CellValue[],
  columns: readonly C[],
  required: readonly C[],
): HeaderMatch<C> {
  const byKey = new Map(columns.map((column) => [normalizeHeader(column), column]));
  const index = new Map<C, number>();
  const repeated = new Set<C>();
  const ignored: string[] = [];
  cells.forEach((cell, position) => {
    if (cell === null) return;
    const text = String(cell).trim();
    if (text === '') return;
    const column = byKey.get(normalizeHeader(text));
    if (column === undefined) ignored.push(text);
    else if (index.has(column)) repeated.add(column);
    else index.set(column, position);
  });
  return { index, missing: required.filter((column) => !index.has(column)), repeated: [...repeated], ignored };
}

/** The cells of a row by column name; a column the sheet does not have reads as blank. */
export function cellsByColumn<C extends string>(
  cells: readonly CellValue[],
  index: ReadonlyMap<C, number>,
): (column: C) => CellValue {
  return (column) => {
    const position = index.get(column);
    return position === undefined ? null : (cells[position] ?? null);
  };
}
