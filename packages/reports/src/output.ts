import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';

/**
 * Writing a report as it is read: rows arrive as an async iterable and go out one at a time, as
 * CSV, a JSON array or an XLSX sheet, waiting on the stream when it is full, so a report of a
 * million rows never sits in memory.
 */

export const REPORT_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** How a column's values are written: money is integer paise (rupees only in XLSX's number format). */
export type ColumnKind = 'text' | 'integer' | 'paise' | 'percent' | 'date';

export interface ReportColumn<Row extends object = object> {
  /** The JSON key and the CSV header. */
  key: keyof Row & string;
  /** The XLSX header. */
  header: string;
  kind: ColumnKind;
}

export type Cell = string | number | null;

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A CSV field (RFC 4180): quoted when it holds a comma, quote or line break; formulas defused. */
export function csvField(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  // A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection); numbers are safe.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly Cell[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

function cellOf(row: object, key: string): Cell {
  const value = (row as Record<string, unknown>)[key];
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

function cellsOf(row: object, columns: readonly ReportColumn[]): Cell[] {
  return columns.map((column) => cellOf(row, column.key));
}

/** Writes the rows in the format, ends the stream and settles once it has been flushed. */
export async function writeReport(
  rows: AsyncIterable<object>,
  columns: readonly ReportColumn[],
  format: ReportFormat,
  out: Writable,
  sheetName = 'Report',
): Promise<void> {
  switch (format) {
    case 'csv': {
      await write(out, csvLine(columns.map((column) => column.key)));
      for await (const row of rows) await write(out, csvLine(cellsOf(row, columns)));
      out.end();
      await finished(out);
      return;
    }
    case 'json': {
      let first = true;
      await write(out, '[');
      for await (const row of rows) {
        const object: Record<string, Cell> = {};
        for (const column of columns) object[column.key] = cellOf(row, column.key);
        await write(out, `${first ? '' : ','}\n${JSON.stringify(object)}`);
        first = false;
      }
      await write(out, first ? ']\n' : '\n]\n');
      out.end();
      await finished(out);
      return;
    }
    case 'xlsx': {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
      const sheet = workbook.addWorksheet(sheetName.slice(0, 31));
      sheet.columns = columns.map((column) => ({
        header: column.kind === 'paise' ? `${column.header} (₹)` : column.header,
        key: column.key,
        width: Math.max(12, column.header.length + 4),
        style:
          column.kind === 'paise'
            ? { numFmt: '#,##0.00' }
            : column.kind === 'percent'
              ? { numFmt: '0.00' }
              : column.kind === 'integer'
                ? { numFmt: '0' }
                : {},
      }));
      for await (const row of rows) {
        sheet
          .addRow(
            columns.map((column) => {
              const value = cellOf(row, column.key);
              // Rupees as a number for the sheet's arithmetic; exact to the paisa for display.
              return column.kind === 'paise' && typeof value === 'number' ? value / 100 : value;
            }),
          )
          .commit();
      }
      sheet.commit();
      await workbook.commit();
      await finished(out);
      return;
    }
  }
}
