import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { BUSINESS_ZONE, isUtr, parseRupees, utrMatchKey, type BusinessDate } from '@loanops/domain';
import type { StatementLayout } from './layouts.js';

/** One credit of the statement. */
export interface StatementLine {
  /** The row of the file (1 = its first line). */
  row: number;
  valueDate: BusinessDate;
  /** The reference cell as written (trimmed; empty when blank). */
  reference: string;
  /**
   * The reference as a UTR, in the form UTRs are matched in (utrMatchKey); null when it is no
   * UTR (interest, a cash deposit, a cheque number, a blank cell): such a line is kept and
   * reconciled as NO_UTR.
   */
  utr: string | null;
  amountPaise: number;
  narration: string | null;
}

export interface StatementProblem {
  row: number;
  /**
   * The layout field (valueDate, utr, amount, credit, debit), `columns` when the row has another
   * number of cells than the header row, or `file`.
   */
  column: string;
  message: string;
}

export interface ParsedStatement {
  lines: StatementLine[];
  /** Rows that were debits (money out), not repayments. */
  debitsSkipped: number;
  problems: StatementProblem[];
}

/** Indian banks write day first: 05/04/2024, 5-4-24, 05-Apr-2024, 5 APR 2024; ISO too. */
const DATE_FORMATS = ['d/M/yyyy', 'd-M-yyyy', 'd.M.yyyy', 'd/M/yy', 'd-M-yy', 'd-MMM-yyyy', 'd MMM yyyy', 'd-MMM-yy', 'd MMM yy', 'd/MMM/yyyy', 'yyyy-MM-dd'];

export function parseStatementDate(text: string): BusinessDate | null {
  const trimmed = text.trim();
  for (const format of DATE_FORMATS) {
    const parsed = DateTime.fromFormat(trimmed, format, { zone: BUSINESS_ZONE, locale: 'en-IN' });
    if (parsed.isValid) return parsed.toISODate();
  }
  return null;
}

export type AmountCell = { kind: 'credit' | 'debit'; paise: number } | { kind: 'empty' } | { kind: 'bad' };

/** "1,23,456.78", "₹ 500", "INR 500.00", "500 Cr", "-500", "500 Dr": paise and direction. */
export function parseAmount(text: string, direction: 'credit' | 'debit' | 'signed'): AmountCell {
  let cleaned = text.trim().replace(/^INR\s*/i, '').replace(/\s+/g, ' ');
  if (cleaned === '' || cleaned === '-') return { kind: 'empty' };
  let kind: 'credit' | 'debit' = direction === 'debit' ? 'debit' : 'credit';
  const suffix = /\s*(CR|DR)\.?$/i.exec(cleaned);
  if (suffix) {
    if (direction === 'signed') kind = suffix[1]?.toUpperCase() === 'DR' ? 'debit' : 'credit';
    cleaned = cleaned.slice(0, suffix.index);
  }
  if (cleaned.startsWith('-') && direction === 'signed') {
    kind = 'debit';
    cleaned = cleaned.slice(1);
  }
  const paise = parseRupees(cleaned.replace(/^(₹|Rs\.?)\s*/i, '').replace(/\s/g, ''));
  if (paise === null) return { kind: 'bad' };
  if (paise === 0) return { kind: 'empty' };
  return { kind, paise };
}

const fold = (cell: string) => cell.trim().replace(/\s+/g, ' ').replace(/\.+$/, '').toLowerCase();

/**
 * Reads a statement: finds the header row (banks put account details above it), then takes each
 * row after it as one transaction. Blank rows are skipped, debits are counted and skipped, and
 * every wrong cell is reported with its row and field; the caller stores nothing unless there
 * are none. A row must have the header row's cells (extra empty ones at its end aside): one with
 * fewer or more has its cells shifted, and no cell of it can be trusted. A credit whose reference
 * is no UTR is not wrong: banks credit interest, cash and cheques too; it is taken with no UTR.
 */
export function parseStatement(text: string, layout: StatementLayout, options: { maxLines?: number } = {}): ParsedStatement {
  const problems: StatementProblem[] = [];
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: false, trim: false }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return { lines: [], debitsSkipped: 0, problems: [{ row: line, column: 'file', message: `not a readable CSV: ${(error as Error).message}` }] };
  }
  const wanted: [string, string | undefined][] = [
    ['valueDate', layout.valueDate],
    ['utr', layout.utr],
    ['amount', layout.amount],
    ['credit', layout.credit],
    ['debit', layout.debit],
    ['narration', layout.narration],
  ];
  const required = wanted.filter(([field, name]) => name !== undefined && field !== 'narration' && field !== 'debit');
  let headerIndex = -1;
  let headerWidth = 0;
  let columns = new Map<string, number>();
  for (let index = 0; index < Math.min(records.length, 50); index += 1) {
    const cells = (records[index] ?? []).map(fold);
    if (required.every(([, name]) => cells.includes(fold(name as string)))) {
      headerIndex = index;
      headerWidth = cells.findLastIndex((value) => value !== '') + 1;
      columns = new Map(
        wanted.flatMap(([field, name]) => {
          const at = name === undefined ? -1 : cells.indexOf(fold(name));
          return at === -1 ? [] : [[field, at] as [string, number]];
        }),
      );
      break;
    }
  }
  if (headerIndex === -1) {
    const names = required.map(([, name]) => `"${name}"`).join(', ');
    return { lines: [], debitsSkipped: 0, problems: [{ row: 1, column: 'file', message: `no header row with the columns ${names} in the first 50 rows` }] };
  }
  const lines: StatementLine[] = [];
  const seen = new Map<string, number>();
  let debitsSkipped = 0;
  const cell = (record: string[], field: string) => {
    const at = columns.get(field);
    return at === undefined ? '' : (record[at] ?? '').trim();
  };
  for (let index = headerIndex + 1; index < records.length; index += 1) {
    const record = records[index] ?? [];
    const row = index + 1;
    if (record.every((value) => value.trim() === '')) continue;
    const width = record.findLastIndex((value) => value.trim() !== '') + 1;
    if (record.length < headerWidth || width > headerWidth) {
      const cells = record.length < headerWidth ? record.length : width;
      problems.push({ row, column: 'columns', message: `has ${cells} cells where the header row has ${headerWidth}` });
      continue;
    }
    const rowProblems: StatementProblem[] = [];
    let amount: AmountCell;
    if (layout.amount !== undefined) {
      amount = parseAmount(cell(record, 'amount'), 'signed');
      if (amount.kind === 'bad') rowProblems.push({ row, column: 'amount', message: `"${cell(record, 'amount')}" is not an amount in rupees` });
      if (amount.kind === 'empty') rowProblems.push({ row, column: 'amount', message: 'is empty' });
    } else {
      const credit = parseAmount(cell(record, 'credit'), 'credit');
      const debit = parseAmount(cell(record, 'debit'), 'debit');
      if (credit.kind === 'bad') rowProblems.push({ row, column: 'credit', message: `"${cell(record, 'credit')}" is not an amount in rupees` });
      if (debit.kind === 'bad') rowProblems.push({ row, column: 'debit', message: `"${cell(record, 'debit')}" is not an amount in rupees` });
      if (credit.kind !== 'empty' && credit.kind !== 'bad' && debit.kind !== 'empty' && debit.kind !== 'bad') {
        rowProblems.push({ row, column: 'credit', message: 'both credit and debit are filled' });
      }
      if (credit.kind === 'empty' && debit.kind === 'empty') rowProblems.push({ row, column: 'credit', message: 'neither credit nor debit is filled' });
      amount = credit.kind === 'empty' ? debit : credit;
    }
    if (rowProblems.length === 0 && amount.kind === 'debit') {
      debitsSkipped += 1;
      continue;
    }
    const dateText = cell(record, 'valueDate');
    const valueDate = parseStatementDate(dateText);
    if (valueDate === null) {
      rowProblems.push({ row, column: 'valueDate', message: dateText ? `"${dateText}" is not a date (DD/MM/YYYY, DD-MMM-YYYY or YYYY-MM-DD)` : 'is empty' });
    }
    const reference = cell(record, 'utr');
    const key = utrMatchKey(reference);
    const utr = isUtr(key) ? key : null;
    const earlier = utr === null ? undefined : seen.get(utr);
    if (earlier !== undefined) {
      rowProblems.push({ row, column: 'utr', message: `${utr} is already on row ${earlier}` });
    }
    if (rowProblems.length > 0 || valueDate === null || amount.kind !== 'credit') {
      problems.push(...rowProblems);
      continue;
    }
    if (utr !== null) seen.set(utr, row);
    const narration = cell(record, 'narration');
    lines.push({ row, valueDate, reference: reference.slice(0, 100), utr, amountPaise: amount.paise, narration: narration ? narration.slice(0, 500) : null });
  }
  const maxLines = options.maxLines ?? 200_000;
  if (lines.length > maxLines) problems.push({ row: records.length, column: 'file', message: `more than ${maxLines} credits; split the statement` });
  if (lines.length === 0 && problems.length === 0) problems.push({ row: headerIndex + 1, column: 'file', message: 'the statement has no credits' });
  return { lines, debitsSkipped, problems };
}
