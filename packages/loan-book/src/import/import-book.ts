import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { BucketTable, BusinessDate } from '@loanops/domain';
import type { Actor, Database } from '@loanops/db';
import { createLoans } from '../create-loans.js';
import type { NewLoanInput } from '../loan-input.js';
import { isBlank } from './cells.js';
import {
  LOAN_COLUMNS,
  REQUIRED_LOAN_COLUMNS,
  REQUIRED_SCHEDULE_COLUMNS,
  SCHEDULE_COLUMNS,
  matchHeader,
  type HeaderMatch,
} from './columns.js';
import { checkLoan, collectorCodeOf, mapLoanRow, mapScheduleRow, type CollectorRef } from './map-row.js';
import {
  ImportFileError,
  detectFormat,
  readCsvRows,
  readWorkbookSheets,
  type BookFormat,
  type SheetRow,
} from './read-rows.js';
import {
  checkAcrossRows,
  createStaging,
  markInvalid,
  nextGoodLoans,
  recordIssues,
  stageLoans,
  stageSchedule,
  stagedCounts,
  stagedIssues,
  type SheetName,
  type StagedIssue,
  type StagedLoan,
  type StagedScheduleRow,
} from './staging.js';

export interface ImportBookOptions {
  /** The book: an .xlsx workbook (loans sheet, optional schedule sheet) or a .csv file. */
  file: string;
  /** Schedules of a CSV book, as a CSV file of their own. */
  scheduleFile?: string | undefined;
  /** Import the valid rows and list the invalid ones, instead of importing nothing. */
  skipInvalid?: boolean | undefined;
  /** Check everything, write nothing. */
  dryRun?: boolean | undefined;
  /** The business date the loans' DPD and buckets are computed for. */
  today: BusinessDate;
  bucketTable: BucketTable;
  actor: Actor;
  /** Stored with every audit entry of the import, to find them again. */
  requestId?: string | null | undefined;
  /** Loans per createLoans call (and per staging and checking batch). */
  batchSize?: number | undefined;
  /** How many problems the report lists (all are counted). */
  maxIssues?: number | undefined;
  onProgress?: ((progress: ImportProgress) => void) | undefined;
}

export interface ImportProgress {
  phase: 'reading' | 'checking' | 'importing';
  /** Rows of the loans sheet done so far in this phase. */
  rows: number;
}

export interface ImportIssue {
  /** Which sheet (or, for a CSV book, which file) the row is on; null for a problem with a whole file. */
  sheet: SheetName | null;
  row: number | null;
  column: string | null;
  message: string;
}

/** IMPORTED: committed (possibly nothing new). CHECKED: a dry run. REJECTED: nothing imported, see issues. */
export type ImportOutcome = 'IMPORTED' | 'CHECKED' | 'REJECTED';

export interface ImportReport {
  outcome: ImportOutcome;
  file: string;
  scheduleFile: string | null;
  format: BookFormat | null;
  rows: {
    /** Data rows of the loans sheet (blank rows are not counted). */
    read: number;
    /** Rows that passed every check and were not in the book yet. */
    valid: number;
    invalid: number;
    /** Rows whose loan number the book already has: skipped, not checked further. */
    alreadyInBook: number;
    imported: number;
  };
  scheduleRows: number;
  issueCount: number;
  /** The first maxIssues problems, in sheet and row order. */
  issues: ImportIssue[];
  /** Headers that name no known column; their cells were not read. */
  ignoredColumns: { sheet: SheetName; column: string }[];
  durationMs: number;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_MAX_ISSUES = 1_000;

type Tx = Transaction<Database>;

/**
 * Imports a spreadsheet book: every row is checked first (the API's schema and plan rules), then,
 * when nothing is wrong or `skipInvalid` is set, the valid loans are created in batches, all in one
 * transaction, so a failure leaves nothing half-written. Loans whose number the book already has
 * are skipped, so importing the same file again changes nothing. Problems with the file or its
 * rows come back in the report; only unexpected failures (the database, a bug) throw.
 */
export async function importBook(db: Kysely<Database>, options: ImportBookOptions): Promise<ImportReport> {
  const started = performance.now();
  const report: ImportReport = {
    outcome: 'REJECTED',
    file: options.file,
    scheduleFile: options.scheduleFile ?? null,
    format: null,
    rows: { read: 0, valid: 0, invalid: 0, alreadyInBook: 0, imported: 0 },
    scheduleRows: 0,
    issueCount: 0,
    issues: [],
    ignoredColumns: [],
    durationMs: 0,
  };
  const finish = (outcome: ImportOutcome): ImportReport => {
    report.outcome = outcome;
    report.durationMs = Math.round(performance.now() - started);
    return report;
  };
  const rejectFile = (message: string): ImportReport => {
    report.issues = [{ sheet: null, row: null, column: null, message }];
    report.issueCount = 1;
    return finish('REJECTED');
  };

  try {
    report.format = await detectFormat(options.file);
    if (options.scheduleFile !== undefined) {
      if (report.format === 'xlsx') {
        return rejectFile('an xlsx book carries its schedules on a sheet named "schedule"; a separate schedule file is for CSV books');
      }
      if ((await detectFormat(options.scheduleFile)) !== 'csv') {
        return rejectFile(`${path.basename(options.scheduleFile)}: a schedule file must be a .csv file`);
      }
    }
  } catch (error) {
    if (error instanceof ImportFileError) return rejectFile(error.message);
    throw error;
  }
  const format = report.format;

  return db.transaction().execute(async (trx) => {
    await createStaging(trx);
    const reader = new BookReader(trx, options, report);
    try {
      if (format === 'csv') {
        if (options.scheduleFile !== undefined) {
          await reader.readSchedule(readCsvRows(options.scheduleFile), path.basename(options.scheduleFile), false, true);
        }
        await reader.readLoans(readCsvRows(options.file), path.basename(options.file), false);
      } else {
        const book = path.basename(options.file);
        for await (const sheet of readWorkbookSheets(options.file)) {
          const label = `sheet "${sheet.name}" of ${book}`;
          if (sheet.role === 'loans') await reader.readLoans(sheet.rows, label, sheet.date1904);
          else if (sheet.role === 'schedule') await reader.readSchedule(sheet.rows, label, sheet.date1904, false);
        }
        if (reader.loansLabel === null) reader.fileIssue('loans', `${book} has no sheet to read loans from`);
      }
    } catch (error) {
      if (error instanceof ImportFileError) return rejectFile(error.message);
      throw error;
    }
    if (reader.fileIssues.length > 0) {
      report.issues = reader.fileIssues;
      report.issueCount = reader.fileIssues.length;
      return finish('REJECTED');
    }

    await checkAcrossRows(trx, reader.loansLabel ?? 'the loans sheet');
    await checkPlans(trx, options);

    const counts = await stagedCounts(trx);
    report.rows = { read: counts.read, valid: counts.valid, invalid: counts.invalid, alreadyInBook: counts.alreadyInBook, imported: 0 };
    report.scheduleRows = counts.scheduleRows;
    report.issueCount = counts.issues;
    report.issues = await stagedIssues(trx, options.maxIssues ?? DEFAULT_MAX_ISSUES);

    if (counts.issues > 0 && !options.skipInvalid) return finish('REJECTED');
    if (options.dryRun) return finish('CHECKED');
    if (counts.valid === 0 && counts.issues > 0) return finish('REJECTED');

    const { created, skipped } = await importGoodLoans(trx, options);
    report.rows.imported = created;
    // A loan someone else created since the check is skipped by createLoans: in the book now.
    report.rows.alreadyInBook += skipped;
    report.rows.valid -= skipped;
    return finish('IMPORTED');
  });
}

/** Reads the sheets into the staging tables, a batch at a time. */
class BookReader {
  readonly fileIssues: ImportIssue[] = [];
  loansLabel: string | null = null;
  private readonly collectors = new Map<string, CollectorRef | null>();
  private readonly batchSize: number;

  constructor(
    private readonly trx: Tx,
    private readonly options: ImportBookOptions,
    private readonly report: ImportReport,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  fileIssue(sheet: SheetName, message: string, column: string | null = null): void {
    this.fileIssues.push({ sheet, row: null, column, message });
  }

  /** The header (first non-blank row) of a sheet, checked; null when the sheet cannot be read on. */
  private async header<C extends string>(
    rows: AsyncIterator<SheetRow>,
    sheet: SheetName,
    label: string,
    columns: readonly C[],
    required: readonly C[],
  ): Promise<{ match: HeaderMatch<C>; row: number } | 'empty' | 'bad'> {
    for (;;) {
      const next = await rows.next();
      if (next.done) return 'empty';
      if (next.value.cells.every(isBlank)) continue;
      const match = matchHeader(next.value.cells, columns, required);
      for (const column of match.ignored) this.report.ignoredColumns.push({ sheet, column });
      for (const column of match.missing) {
        this.fileIssue(sheet, `${label} has no column ${column}, which is required (the header is row ${next.value.row})`, column);
      }
      for (const column of match.repeated) this.fileIssue(sheet, `${label} has the column ${column} more than once`, column);
      const filled = next.value.cells.filter((cell) => !isBlank(cell));
      if (match.missing.length > 0 && filled.length === 1 && /[;\t]/.test(String(filled[0]))) {
        this.fileIssue(sheet, `${label} looks separated by semicolons or tabs; save it with commas (Excel: "CSV UTF-8")`);
      }
      return match.missing.length > 0 || match.repeated.length > 0 ? 'bad' : { match, row: next.value.row };
    }
  }

  async readLoans(source: AsyncIterable<SheetRow>, label: string, date1904: boolean): Promise<void> {
    if (this.loansLabel !== null) return drain(source);
    this.loansLabel = label;
    const rows = source[Symbol.asyncIterator]();
    const header = await this.header(rows, 'loans', label, LOAN_COLUMNS, REQUIRED_LOAN_COLUMNS);
    if (header === 'empty') return this.fileIssue('loans', `${label} is empty: it has no header row and no loans`);
    if (header === 'bad') return drain(rows);

    const { index } = header.match;
    let batch: SheetRow[] = [];
    let read = 0;
    const flush = async () => {
      await this.resolveCollectors(batch.map((row) => collectorCodeOf(row.cells, index)));
      const staged: StagedLoan[] = [];
      const issues: StagedIssue[] = [];
      for (const { row, cells } of batch) {
        const mapped = mapLoanRow(cells, index, this.collectors, { date1904 });
        staged.push({ row, loanNumber: mapped.loanNumber, request: mapped.request, paidToDatePaise: mapped.paidToDatePaise });
        for (const issue of mapped.issues) issues.push({ sheet: 'loans', row, ...issue, loanNumber: mapped.loanNumber });
      }
      await stageLoans(this.trx, staged);
      await recordIssues(this.trx, issues);
      read += batch.length;
      batch = [];
      this.options.onProgress?.({ phase: 'reading', rows: read });
    };
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      if (next.value.cells.every(isBlank)) continue;
      batch.push(next.value);
      if (batch.length >= this.batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    if (read === 0) this.fileIssue('loans', `${label} has no loans: there are no rows below the header (row ${header.row})`);
  }

  async readSchedule(source: AsyncIterable<SheetRow>, label: string, date1904: boolean, required: boolean): Promise<void> {
    const rows = source[Symbol.asyncIterator]();
    const header = await this.header(rows, 'schedule', label, SCHEDULE_COLUMNS, REQUIRED_SCHEDULE_COLUMNS);
    if (header === 'empty') {
      if (required) this.fileIssue('schedule', `${label} is empty: it has no header row`);
      return;
    }
    if (header === 'bad') return drain(rows);

    const { index } = header.match;
    let staged: StagedScheduleRow[] = [];
    let issues: StagedIssue[] = [];
    const flush = async () => {
      await stageSchedule(this.trx, staged);
      await recordIssues(this.trx, issues);
      staged = [];
      issues = [];
    };
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      const { row, cells } = next.value;
      if (cells.every(isBlank)) continue;
      const mapped = mapScheduleRow(cells, index, { date1904 });
      for (const issue of mapped.issues) issues.push({ sheet: 'schedule', row, ...issue, loanNumber: mapped.loanNumber });
      if (mapped.loanNumber !== null) {
        staged.push({
          row,
          loanNumber: mapped.loanNumber,
          installmentNo: mapped.installmentNo,
          dueOn: mapped.dueOn,
          principalPaise: mapped.principalPaise,
          interestPaise: mapped.interestPaise,
        });
      }
      if (staged.length >= this.batchSize * 4 || issues.length >= this.batchSize) await flush();
    }
    await flush();
  }

  /** Collectors by code, looked up once per code. */
  private async resolveCollectors(codes: readonly (string | null)[]): Promise<void> {
    const unknown = [...new Set(codes.filter((code): code is string => code !== null && !this.collectors.has(code)))];
    if (unknown.length === 0) return;
    const found = await this.trx.selectFrom('collectors').select(['id', 'code', 'active']).where('code', 'in', unknown).execute();
    for (const code of unknown) this.collectors.set(code, null);
    for (const collector of found) this.collectors.set(collector.code, { id: collector.id, active: collector.active });
  }
}

async function drain(rows: AsyncIterable<SheetRow> | AsyncIterator<SheetRow>): Promise<void> {
  const iterator = Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    // read through: an xlsx stream moves on to the next sheet only after this one
  }
}

/** Each good loan against the rules that span its fields and schedule (planLoan), batch by batch. */
async function checkPlans(trx: Tx, options: ImportBookOptions): Promise<void> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let after = 0;
  let checked = 0;
  for (;;) {
    const loans = await nextGoodLoans(trx, after, batchSize);
    const last = loans.at(-1);
    if (last === undefined) return;
    const bad: number[] = [];
    const issues: StagedIssue[] = [];
    for (const loan of loans) {
      const result = checkLoan(loan.row, loan.request, loan.schedule, loan.paidToDatePaise, options.today);
      if (result.issues.length === 0) continue;
      bad.push(loan.row);
      for (const issue of result.issues) issues.push({ ...issue, loanNumber: loan.loanNumber });
    }
    await markInvalid(trx, bad);
    await recordIssues(trx, issues);
    checked += loans.length;
    after = last.row;
    options.onProgress?.({ phase: 'checking', rows: checked });
  }
}

/** Creates the loans that passed every check, a batch per createLoans call. */
async function importGoodLoans(trx: Tx, options: ImportBookOptions): Promise<{ created: number; skipped: number }> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let after = 0;
  let created = 0;
  let skipped = 0;
  for (;;) {
    const loans = await nextGoodLoans(trx, after, batchSize);
    const last = loans.at(-1);
    if (last === undefined) return { created, skipped };
    const inputs: NewLoanInput[] = loans.map((loan) => {
      const result = checkLoan(loan.row, loan.request, loan.schedule, loan.paidToDatePaise, options.today);
      if (result.input === null) throw new Error(`row ${loan.row} passed its checks and then failed them`);
      return result.input;
    });
    const result = await createLoans(trx, inputs, {
      actor: options.actor,
      requestId: options.requestId ?? null,
      today: options.today,
      bucketTable: options.bucketTable,
      source: 'IMPORT',
      onExisting: 'skip',
    });
    created += result.created.length;
    skipped += result.skipped.length;
    after = last.row;
    options.onProgress?.({ phase: 'importing', rows: created + skipped });
  }
}

/** One problem as a line: `row 17, column disbursed_on: must be a real date (got "31/02/2026")`. */
export function formatIssue(issue: ImportIssue): string {
  if (issue.row === null) return issue.message;
  const where = [`${issue.sheet === 'schedule' ? 'schedule row' : 'row'} ${issue.row}`];
  if (issue.column !== null) where.push(`column ${issue.column}`);
  return `${where.join(', ')}: ${issue.message}`;
}
