import {
  LoanOpsError,
  TENURE_LIMITS,
  ValidationError,
  formatRupees,
  planLoan,
  type BusinessDate,
  type FieldIssue,
} from '@loanops/domain';
import type { z } from 'zod';
import { givenInstallmentSchema, newLoanSchema, type NewLoanInput, type NewLoanRequest } from '../loan-input.js';
import {
  cellText,
  isBlank,
  toBps,
  toBusinessDate,
  toPaise,
  toWholeNumber,
  type CellValue,
  type Converted,
} from './cells.js';
import { cellsByColumn, type LoanColumn, type ScheduleColumn } from './columns.js';

/**
 * Spreadsheet rows to the request the API takes, checked by the same zod schema (newLoanSchema)
 * and the same plan rules (planLoan), with each problem pointed back at a row and a column.
 */

export interface CellIssue {
  column: LoanColumn | ScheduleColumn | null;
  message: string;
}

export interface CollectorRef {
  id: number;
  active: boolean;
}

/** The request's fields, by the column each comes from. */
const LOAN_FIELD_COLUMNS: Readonly<Record<string, LoanColumn>> = {
  loanNumber: 'loan_number',
  'borrower.customerRef': 'customer_ref',
  'borrower.name': 'borrower_name',
  'borrower.phone': 'phone',
  'borrower.email': 'email',
  'borrower.address': 'address',
  'borrower.pinCode': 'pin_code',
  'borrower.language': 'language',
  principalPaise: 'principal',
  annualRateBps: 'annual_rate',
  tenureMonths: 'tenure_months',
  disbursedOn: 'disbursed_on',
  firstDueOn: 'first_due_on',
  collectorId: 'collector_code',
  tags: 'tags',
  notes: 'notes',
  paidToDatePaise: 'paid_to_date',
};

const INSTALLMENT_FIELD_COLUMNS: Readonly<Record<string, ScheduleColumn>> = {
  dueOn: 'due_on',
  principalPaise: 'principal',
  interestPaise: 'interest',
};

/** The API's field names and paise, in the words of the sheet (columns, rupees, percent). */
export function inSheetWords(message: string, column: string | null): string {
  let text = message
    .replace(/\bprincipalPaise (\d+)/g, (_, paise: string) => `principal ${formatRupees(Number(paise))}`)
    .replace(/\b(\d+) paise\b/g, (_, paise: string) => formatRupees(Number(paise)))
    .replace(/\bprincipalPaise\b/g, 'principal')
    .replace(/\bpaidToDatePaise\b/g, 'paid_to_date')
    .replace(/\bdisbursedOn\b/g, 'disbursed_on')
    .replace(/\bfirstDueOn\b/g, 'first_due_on')
    .replace(/\btenureMonths\b/g, 'tenure_months')
    .replace(/\bdueOn\b/g, 'due_on');
  if (column === 'annual_rate') {
    text = text.replace(/\b(at (?:least|most)) (\d+)$/, (_, bound: string, bps: string) => `${bound} ${Number(bps) / 100}%`);
  }
  return text;
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

/** Reads cells of one row, remembering which columns could not be converted. */
class RowReader<C extends string> {
  readonly issues: CellIssue[] = [];
  readonly unconverted = new Set<string>();
  private readonly cell: (column: C) => CellValue;

  constructor(cells: readonly CellValue[], index: ReadonlyMap<C, number>) {
    this.cell = cellsByColumn(cells, index);
  }

  text(column: C): string | undefined {
    return cellText(this.cell(column)) ?? undefined;
  }

  convert<T>(column: C & (LoanColumn | ScheduleColumn), convert: (cell: CellValue) => Converted<T>): T | undefined {
    const value = this.cell(column);
    if (isBlank(value)) return undefined;
    const result = convert(value);
    if (result.ok) return result.value;
    this.fail(column, result.message);
    return undefined;
  }

  fail(column: C & (LoanColumn | ScheduleColumn), message: string): void {
    this.issues.push({ column, message });
    this.unconverted.add(column);
  }
}

export interface MappedLoanRow {
  /** The loan_number cell as written (trimmed), for duplicate and book checks; null when blank. */
  loanNumber: string | null;
  /** The checked request, without a schedule; null when the row has issues. */
  request: NewLoanRequest | null;
  paidToDatePaise: number;
  issues: CellIssue[];
}

/** The collector_code cell, as codes are stored (upper case). */
export function collectorCodeOf(cells: readonly CellValue[], index: ReadonlyMap<LoanColumn, number>): string | null {
  return cellText(cellsByColumn(cells, index)('collector_code'))?.toUpperCase() ?? null;
}

/** One row of the loans sheet to the request newLoanSchema checks. */
export function mapLoanRow(
  cells: readonly CellValue[],
  index: ReadonlyMap<LoanColumn, number>,
  collectors: ReadonlyMap<string, CollectorRef | null>,
  options: { date1904?: boolean } = {},
): MappedLoanRow {
  const row = new RowReader(cells, index);
  const toDate = (cell: CellValue) => toBusinessDate(cell, options);

  const tags = row
    .text('tags')
    ?.split(';')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');

  const draft = {
    loanNumber: row.text('loan_number'),
    borrower: {
      customerRef: row.text('customer_ref'),
      name: row.text('borrower_name'),
      phone: row.text('phone'),
      email: row.text('email'),
      address: row.text('address'),
      pinCode: row.text('pin_code'),
      language: row.text('language')?.toLowerCase(),
    },
    principalPaise: row.convert('principal', toPaise),
    annualRateBps: row.convert('annual_rate', toBps),
    tenureMonths: row.convert('tenure_months', toWholeNumber),
    disbursedOn: row.convert('disbursed_on', toDate),
    firstDueOn: row.convert('first_due_on', toDate),
    collectorId: undefined as number | undefined,
    tags: tags && tags.length > 0 ? tags : undefined,
    notes: row.text('notes'),
  };
  const paidToDatePaise = row.convert('paid_to_date', toPaise) ?? 0;
  const code = collectorCodeOf(cells, index);
  if (code !== null) {
    const collector = collectors.get(code);
    if (!collector) row.fail('collector_code', `no collector has the code ${JSON.stringify(code)}`);
    else if (!collector.active) row.fail('collector_code', `collector ${code} is not active`);
    else draft.collectorId = collector.id;
  }

  const parsed = newLoanSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.filter((part) => typeof part === 'string').join('.');
      const column = LOAN_FIELD_COLUMNS[key] ?? null;
      if (column !== null && row.unconverted.has(column)) continue;
      let message = inSheetWords(zodMessage(issue), column);
      const tagIndex = issue.path[1];
      if (column === 'tags' && typeof tagIndex === 'number') message = `tag ${JSON.stringify(draft.tags?.[tagIndex])} ${message}`;
      row.issues.push({ column, message });
    }
  }
  return {
    loanNumber: draft.loanNumber ?? null,
    request: parsed.success && row.issues.length === 0 ? parsed.data : null,
    paidToDatePaise,
    issues: row.issues,
  };
}

export interface MappedScheduleRow {
  loanNumber: string | null;
  installmentNo: number | null;
  dueOn: BusinessDate | null;
  principalPaise: number | null;
  interestPaise: number | null;
  issues: CellIssue[];
}

/** One row of the schedule sheet (or file). */
export function mapScheduleRow(
  cells: readonly CellValue[],
  index: ReadonlyMap<ScheduleColumn, number>,
  options: { date1904?: boolean } = {},
): MappedScheduleRow {
  const row = new RowReader(cells, index);
  const loanNumber = row.text('loan_number') ?? null;
  if (loanNumber === null) row.fail('loan_number', 'is required');
  const installmentNo = row.convert('installment_no', toWholeNumber);
  if (installmentNo !== undefined && (installmentNo < 1 || installmentNo > TENURE_LIMITS.maxMonths)) {
    row.fail('installment_no', `must be between 1 and ${TENURE_LIMITS.maxMonths} (got ${installmentNo})`);
  }
  const draft = {
    dueOn: row.convert('due_on', (cell) => toBusinessDate(cell, options)),
    principalPaise: row.convert('principal', toPaise),
    interestPaise: row.convert('interest', toPaise),
  };
  for (const column of ['installment_no', 'due_on', 'principal', 'interest'] as const) {
    if (!row.unconverted.has(column) && isBlank(cellsByColumn(cells, index)(column))) row.fail(column, 'is required');
  }
  const parsed = givenInstallmentSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const column = INSTALLMENT_FIELD_COLUMNS[String(issue.path[0])] ?? null;
      if (column !== null && row.unconverted.has(column)) continue;
      row.issues.push({ column, message: inSheetWords(zodMessage(issue), column) });
    }
  }
  const ok = row.issues.length === 0;
  return {
    loanNumber,
    installmentNo: ok ? (installmentNo ?? null) : null,
    dueOn: ok ? (draft.dueOn ?? null) : null,
    principalPaise: ok ? (draft.principalPaise ?? null) : null,
    interestPaise: ok ? (draft.interestPaise ?? null) : null,
    issues: row.issues,
  };
}

/** A schedule row as staged: already checked on its own. */
export interface ScheduleLine {
  row: number;
  installmentNo: number;
  dueOn: BusinessDate;
  principalPaise: number;
  interestPaise: number;
}

export interface PlanIssue {
  sheet: 'loans' | 'schedule';
  row: number;
  column: LoanColumn | ScheduleColumn | null;
  message: string;
}

export interface CheckedLoan {
  /** What createLoans takes; null when there are issues. */
  input: NewLoanInput | null;
  issues: PlanIssue[];
}

/**
 * A loan with its schedule (empty for a generated EMI schedule) against the rules that span
 * fields and rows: the schema with the installments in, then planLoan (dates against each other and
 * today, the schedule against the principal and tenure, what was repaid against the schedule).
 */
export function checkLoan(
  loanRow: number,
  request: NewLoanRequest,
  schedule: readonly ScheduleLine[],
  paidToDatePaise: number,
  today: BusinessDate,
): CheckedLoan {
  const onLoan = (column: LoanColumn | null, message: string): PlanIssue => ({ sheet: 'loans', row: loanRow, column, message });
  const gap = schedule.findIndex((line, position) => line.installmentNo !== position + 1);
  if (gap !== -1) {
    return { input: null, issues: [onLoan(null, `the schedule has no installment_no ${gap + 1}`)] };
  }

  const locate = (path: readonly PropertyKey[], message: string): PlanIssue => {
    if (path[0] === 'installments') {
      const line = typeof path[1] === 'number' ? schedule[path[1]] : undefined;
      if (line === undefined) return onLoan(null, `schedule ${inSheetWords(message, null)}`);
      const column = path[2] === undefined ? null : (INSTALLMENT_FIELD_COLUMNS[String(path[2])] ?? null);
      return { sheet: 'schedule', row: line.row, column, message: inSheetWords(message, column) };
    }
    const column = LOAN_FIELD_COLUMNS[path.filter((part) => typeof part === 'string').join('.')] ?? null;
    return onLoan(column, inSheetWords(message, column));
  };

  const parsed = newLoanSchema.safeParse({
    ...request,
    installments:
      schedule.length === 0
        ? undefined
        : schedule.map((line) => ({ dueOn: line.dueOn, principalPaise: line.principalPaise, interestPaise: line.interestPaise })),
  });
  if (!parsed.success) {
    return { input: null, issues: parsed.error.issues.map((issue) => locate(issue.path, zodMessage(issue))) };
  }
  const input: NewLoanInput = { ...parsed.data, paidToDatePaise: paidToDatePaise > 0 ? paidToDatePaise : undefined };
  try {
    planLoan(input, today);
  } catch (error) {
    if (error instanceof ValidationError) {
      return { input: null, issues: error.issues.map((issue: FieldIssue) => locate(issue.path.split('.').map(pathPart), issue.message)) };
    }
    if (error instanceof LoanOpsError) return { input: null, issues: [onLoan(null, inSheetWords(error.message, null))] };
    throw error;
  }
  return { input, issues: [] };
}

function pathPart(part: string): string | number {
  return /^\d+$/.test(part) ? Number(part) : part;
}
