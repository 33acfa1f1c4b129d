import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type ExcelJS from 'exceljs';
import type { CellValue } from './cells.js';
import { normalizeHeader } from './columns.js';
import { openXlsx, type XlsxWorkbook } from './xlsx-parts.js';

/**
 * Streaming readers for the two formats a book comes in. Rows are handed over one at a time;
 * nothing here keeps the rows it has read.
 */

export type BookFormat = 'csv' | 'xlsx';

/** A file that cannot be read as a book at all: its message is the whole story (no stack needed). */
export class ImportFileError extends Error {
  readonly code = 'IMPORT_FILE_UNREADABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportFileError';
  }
}

export interface SheetRow {
  /** The row number a person sees: the spreadsheet row, or the CSV line the record starts on. */
  row: number;
  cells: CellValue[];
}

/** A CSV record can run to 4,000 characters of notes and a few short fields; anything longer is not a book. */
const MAX_CSV_RECORD_CHARS = 64_000;
const SNIFF_BYTES = 8_192;

function startsWith(bytes: Buffer, signature: readonly number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP = [0x50, 0x4b, 0x05, 0x06];
const PDF = [0x25, 0x50, 0x44, 0x46];
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const UTF16_LE = [0xff, 0xfe];
const UTF16_BE = [0xfe, 0xff];

/**
 * The format of a book (or schedule) file, from its extension, checked against its first bytes so a
 * PDF or an old .xls renamed .xlsx gets a sentence saying so instead of a parser's error.
 */
export async function detectFormat(file: string): Promise<BookFormat> {
  const name = path.basename(file);
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new ImportFileError(`${name} is a directory, not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError(`${name} cannot be opened: ${describeFsError(error)}`, { cause: error });
  }
  if (size === 0) throw new ImportFileError(`${name} is empty`);

  const extension = path.extname(file).toLowerCase();
  if (extension === '.xls') {
    throw new ImportFileError(`${name} is an old-style .xls workbook; save it as .xlsx (Excel Workbook) or as .csv`);
  }
  if (extension !== '.xlsx' && extension !== '.csv') {
    throw new ImportFileError(
      `${name} is ${extension ? `a ${extension} file` : 'a file without an extension'}; the import reads .xlsx workbooks and .csv files`,
    );
  }

  const bytes = Buffer.alloc(Math.min(size, SNIFF_BYTES));
  try {
    const handle = await open(file, 'r');
    try {
      await handle.read(bytes, 0, bytes.length, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ImportFileError(`${name} cannot be read: ${describeFsError(error)}`, { cause: error });
  }

  const isZip = startsWith(bytes, ZIP) || startsWith(bytes, EMPTY_ZIP);
  if (startsWith(bytes, PDF)) throw new ImportFileError(`${name} is a PDF document, not ${extension === '.csv' ? 'a CSV file' : 'an xlsx workbook'}`);
  if (startsWith(bytes, OLE2)) {
    throw new ImportFileError(`${name} is an old-style Office file (such as .xls) renamed ${extension}; save it as .xlsx or .csv`);
  }
  if (extension === '.xlsx') {
    if (!isZip) throw new ImportFileError(`${name} is not an xlsx workbook (an .xlsx file is a zip archive, and this one is not)`);
    return 'xlsx';
  }
  if (isZip) throw new ImportFileError(`${name} is a zip archive (perhaps an xlsx workbook renamed .csv), not a CSV file`);
  if (startsWith(bytes, UTF16_LE) || startsWith(bytes, UTF16_BE)) {
    throw new ImportFileError(`${name} is UTF-16 text; save the CSV as UTF-8 (Excel: "CSV UTF-8")`);
  }
  if (bytes.includes(0)) throw new ImportFileError(`${name} is not a text file, so not a CSV file`);
  return 'csv';
}

function describeFsError(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The records of a CSV file (UTF-8, comma-separated, an optional BOM), blank lines skipped. */
export async function* readCsvRows(file: string): AsyncGenerator<SheetRow> {
  const name = path.basename(file);
  const source = createReadStream(file);
  const parser = parseCsv({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  pipeline(source, parser, () => undefined);
  const records: AsyncIterable<unknown> = parser;
  try {
    for await (const item of records) {
      const { record, info } = item as { record: string[]; info: { lines: number } };
      // info.lines is the line a record ends on; a quoted field with line breaks started earlier.
      const breaks = record.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
      yield { row: info.lines - breaks, cells: record };
    }
  } catch (error) {
    throw new ImportFileError(`${name} could not be read as CSV: ${errorMessage(error)}`, { cause: error });
  } finally {
    source.destroy();
    parser.destroy();
  }
}

export type SheetRole = 'loans' | 'schedule';

export interface WorkbookSheet {
  name: string;
  /** loans: the sheet named "loans", else the first; schedule: the sheet named "schedule". */
  role: SheetRole | null;
  /** Date serial numbers count from 1904 (old Mac workbooks), not 1900. */
  date1904: boolean;
  rows: AsyncIterable<SheetRow>;
}

/** Picks the loans and schedule sheets from the workbook's sheet names, in workbook order. */
export function sheetRoles(names: readonly string[]): { loans: string | undefined; schedule: string | undefined } {
  const schedule = names.find((name) => normalizeHeader(name) === 'schedule');
  const loans = names.find((name) => normalizeHeader(name) === 'loans') ?? names.find((name) => name !== schedule);
  return { loans, schedule };
}

/**
 * The sheets of an xlsx workbook in tab order, each sheet's rows streamed as they are read.
 * Excel's shared strings (each distinct text once) are the one part kept in memory, as the
 * format requires. A sheet whose rows nobody asks for is never read.
 */
export async function* readWorkbookSheets(file: string): AsyncGenerator<WorkbookSheet> {
  const name = path.basename(file);
  const unreadable = (error: unknown) =>
    new ImportFileError(`${name} could not be read as an xlsx workbook (${errorMessage(error)}); is it damaged?`, {
      cause: error,
    });

  let workbook: XlsxWorkbook;
  try {
    workbook = await openXlsx(file);
  } catch (error) {
    throw unreadable(error);
  }
  try {
    if (workbook.sheets.length === 0) throw new ImportFileError(`${name} has no worksheets`);
    const roles = sheetRoles(workbook.sheets.map((sheet) => sheet.name));
    for (const sheet of workbook.sheets) {
      const role: SheetRole | null = sheet.name === roles.schedule ? 'schedule' : sheet.name === roles.loans ? 'loans' : null;
      const rows = (async function* (): AsyncGenerator<SheetRow> {
        try {
          for await (const row of sheet.rows()) yield { row: row.number, cells: rowCells(row) };
        } catch (error) {
          throw unreadable(error);
        }
      })();
      yield { name: sheet.name, role, date1904: workbook.date1904, rows };
    }
  } finally {
    workbook.close();
  }
}

/**
 * exceljs row values: a sparse array from index 1. Formulas give their cached result, rich text
 * its plain text, error cells their code (#N/A), so a message can quote what the sheet shows. A
 * number formatted as a percentage (0.145 shown as 14.5%) becomes the text the sheet shows.
 */
function rowCells(row: ExcelJS.Row): CellValue[] {
  const values: unknown = row.values;
  if (!Array.isArray(values)) return [];
  const cells: CellValue[] = [];
  for (let index = 1; index < values.length; index += 1) {
    const cell = toCell(values[index]);
    cells.push(typeof cell === 'number' && isPercentFormat(row.getCell(index).numFmt) ? percentText(cell) : cell);
  }
  return cells;
}

function isPercentFormat(numFmt: unknown): boolean {
  return typeof numFmt === 'string' && numFmt.includes('%');
}

/** 0.145 → "14.5%": fifteen significant digits drop the float noise of the ×100. */
function percentText(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(15))}%`;
}

function toCell(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) {
    return value;
  }
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.richText)) {
      return object.richText.map((part: unknown) => String((part as { text?: unknown }).text ?? '')).join('');
    }
    if ('formula' in object || 'sharedFormula' in object) return toCell(object.result);
    if ('error' in object) return String(object.error);
    if ('text' in object) return toCell(object.text);
  }
  return String(value);
}
