import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { LOAN_COLUMNS, SCHEDULE_COLUMNS, type ImportBookOptions } from '@loanops/loan-book';

/** Book files written for a test, in a directory of its own under the OS temp dir. */

/** A cell: a formula is written with its cached result, as Excel saves it. */
export type Cell =
  | string
  | number
  | Date
  | { formula: string; result: number }
  | { percent: number }
  | null
  | undefined;
export type LoanRow = Partial<Record<(typeof LOAN_COLUMNS)[number], Cell>>;
export type ScheduleRow = Partial<Record<(typeof SCHEDULE_COLUMNS)[number], Cell>>;

/** The business date the tests import on. */
export const TODAY = '2026-03-15';

export function importOptions(file: string, extra: Partial<ImportBookOptions> = {}): ImportBookOptions {
  return {
    file,
    today: TODAY,
    bucketTable: DEFAULT_BUCKET_TABLE,
    actor: { type: 'system', id: 'import' },
    ...extra,
  };
}

export interface Scratch {
  dir: string;
  path(name: string): string;
  remove(): Promise<void>;
}

export async function scratchDir(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'loanops-import-'));
  return { dir, path: (name) => path.join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A loan row with every required column filled in; `overrides` win (null or '' blanks a cell). */
export function loan(loanNumber: string, overrides: LoanRow = {}): LoanRow {
  return {
    loan_number: loanNumber,
    borrower_name: `Borrower ${loanNumber}`,
    phone: '98765 43210',
    principal: '1,20,000',
    annual_rate: '12',
    tenure_months: 12,
    disbursed_on: '10/12/2025',
    ...overrides,
  };
}

function csvField(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  const text =
    cell instanceof Date
      ? cell.toISOString().slice(0, 10)
      : typeof cell !== 'object'
        ? String(cell)
        : 'percent' in cell
          ? `${cell.percent * 100}%`
          : String(cell.result);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvText(header: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const lines = [header.join(','), ...rows.map((row) => header.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\n')}\n`;
}

export async function writeBookCsv(
  scratch: Scratch,
  name: string,
  rows: readonly LoanRow[],
  header: readonly string[] = LOAN_COLUMNS,
): Promise<string> {
  const file = scratch.path(name);
  await writeFile(file, csvText(header, rows));
  return file;
}

export async function writeScheduleCsv(scratch: Scratch, name: string, rows: readonly ScheduleRow[]): Promise<string> {
  const file = scratch.path(name);
  await writeFile(file, csvText(SCHEDULE_COLUMNS, rows));
  return file;
}

export interface SheetSpec {
  name: string;
  header: readonly string[];
  rows: readonly Record<string, Cell>[];
}

/** An xlsx workbook written by exceljs: Date cells become date cells, `{ percent }` a cell formatted as a percentage. */
export async function writeWorkbook(scratch: Scratch, name: string, sheets: readonly SheetSpec[]): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  for (const spec of sheets) {
    const sheet = workbook.addWorksheet(spec.name);
    sheet.addRow([...spec.header]);
    for (const row of spec.rows) {
      const values = spec.header.map((column) => row[column] ?? null);
      const added = sheet.addRow(values.map((value) => (value !== null && typeof value === 'object' && 'percent' in value ? value.percent : value)));
      values.forEach((value, index) => {
        const cell = added.getCell(index + 1);
        if (value instanceof Date) cell.numFmt = 'dd/mm/yyyy';
        else if (value !== null && typeof value === 'object' && 'percent' in value) cell.numFmt = '0.00%';
      });
    }
  }
  const file = scratch.path(name);
  await workbook.xlsx.writeFile(file);
  return file;
}

/**
 * Rewrites an xlsx file with its zip parts stored in another order (same parts, same bytes
 * inside): `order` ranks a part's name, lower first. Excel stores the workbook part early; other
 * writers (exceljs itself) store it last, after the sheets.
 */
export async function reorderParts(file: string, order: (part: string) => number): Promise<string[]> {
  const source = await JSZip.loadAsync(await readFile(file));
  const names = Object.keys(source.files)
    .filter((name) => !source.files[name]?.dir)
    .sort((a, b) => order(a) - order(b));
  const target = new JSZip();
  for (const name of names) target.file(name, await source.file(name)!.async('uint8array'), { compression: 'DEFLATE' });
  await writeFile(file, await target.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return names;
}

/** Row counts of the tables an import writes, to prove one changed nothing. */
export async function bookCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const result = await sql<Record<string, number>>`
    SELECT (SELECT count(*) FROM loans)::int AS loans,
           (SELECT count(*) FROM borrowers)::int AS borrowers,
           (SELECT count(*) FROM installments)::int AS installments,
           (SELECT count(*) FROM bucket_history)::int AS bucket_history,
           (SELECT count(*) FROM audit_log)::int AS audit_log`.execute(db);
  return result.rows[0] ?? {};
}
