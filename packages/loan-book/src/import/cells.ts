import { isBusinessDate, parsePercentToBps, parseRupees, type BusinessDate, type Paise } from '@loanops/domain';

/**
 * A spreadsheet cell as the readers hand it over: text (CSV, text cells), a number or a boolean
 * (xlsx), a Date (xlsx date cells, at UTC midnight of the calendar date shown), or null (blank).
 */
export type CellValue = string | number | boolean | Date | null;

export type Converted<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const fail = (message: string): Converted<never> => ({ ok: false, message });

/** An empty cell, or one holding only spaces. */
export function isBlank(cell: CellValue): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/** How a cell is quoted back in a message. */
export function describeCell(cell: CellValue): string {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? 'an invalid date' : `the date ${isoDateOf(cell)}`;
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  const text = String(cell);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** A Date cell's calendar date: exceljs gives dates as UTC midnight, so the UTC date is the one shown. */
function isoDateOf(date: Date): BusinessDate {
  return date.toISOString().slice(0, 10);
}

/** Text of a cell, trimmed; null when blank. Whole numbers read as their digits (phones, PIN codes). */
export function cellText(cell: CellValue): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : isoDateOf(cell);
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : null;
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  const text = cell.trim();
  return text === '' ? null : text;
}

/**
 * A number cell as text with exactly two decimals, or null when the double is not the nearest one
 * to a two-decimal number (137500.00000000003 from a formula is refused, not rounded).
 */
function twoDecimals(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  const fixed = value.toFixed(2);
  return Number(fixed) === value ? fixed : null;
}

/** Far above any loan; keeps paise within the integers a double holds exactly. */
const MAX_RUPEES = 1e12;
const AMOUNT_HINT = 'must be an amount in rupees such as 1,25,000.50';

/** Rupees, as text or a number cell, to paise; never through float arithmetic on the amount. */
export function toPaise(cell: CellValue): Converted<Paise> {
  if (typeof cell === 'number') {
    if (cell < 0) return fail(`must not be negative (got ${cell})`);
    if (cell > MAX_RUPEES) return fail(`is too large (got ${cell})`);
    const fixed = twoDecimals(cell);
    const paise = fixed === null ? null : parseRupees(fixed);
    return paise === null ? fail(`must have at most 2 decimals (got ${cell}); round it in the sheet`) : ok(paise);
  }
  if (typeof cell !== 'string') return fail(`${AMOUNT_HINT} (got ${describeCell(cell)})`);
  const paise = parseRupees(cell);
  if (paise !== null) return ok(paise);
  if (/^\s*(?:₹|Rs\.?)?\s*[\d,]+\.\d{3,}\s*$/i.test(cell)) return fail(`must have at most 2 decimals (got ${describeCell(cell)})`);
  if (/^\s*-/.test(cell)) return fail(`must not be negative (got ${describeCell(cell)})`);
  return fail(`${AMOUNT_HINT} (got ${describeCell(cell)})`);
}

/** A yearly interest rate in percent ("14.5", "14.5%", or a number cell) to basis points. */
export function toBps(cell: CellValue): Converted<number> {
  const text = typeof cell === 'number' ? twoDecimals(cell) : typeof cell === 'string' ? cell : null;
  const bps = text === null ? null : parsePercentToBps(text);
  return bps === null
    ? fail(`must be a yearly rate in percent with at most 2 decimals, such as 14.5 (got ${describeCell(cell)})`)
    : ok(bps);
}

/** A count (tenure, installment number) as a whole number, from text or a number cell. */
export function toWholeNumber(cell: CellValue): Converted<number> {
  if (typeof cell === 'number' && Number.isSafeInteger(cell) && cell >= 0) return ok(cell);
  if (typeof cell === 'string' && /^\s*\d{1,9}\s*$/.test(cell)) return ok(Number(cell.trim()));
  return fail(`must be a whole number (got ${describeCell(cell)})`);
}

const DATE_FORMATS = 'YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY';
/** Day 0 of Excel's two date systems. */
const EXCEL_EPOCH_1900 = Date.UTC(1899, 11, 30);
const EXCEL_EPOCH_1904 = Date.UTC(1904, 0, 1);
/**
 * 1900-03-01 to 9999-12-31: below 61 Excel's serials carry its 1900 leap-year bug (it counts a
 * 29 February 1900), and no loan of this book is that old.
 */
const EXCEL_FIRST_SERIAL = 61;
const EXCEL_LAST_SERIAL = 2_958_465;
const DAY_MS = 86_400_000;

/**
 * A calendar date from a text cell (YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY), a date cell, or a date
 * serial number (a date cell whose formatting the reader did not see, or a formula's result).
 * Nothing here reads the process time zone.
 */
export function toBusinessDate(cell: CellValue, options: { date1904?: boolean } = {}): Converted<BusinessDate> {
  if (cell instanceof Date) {
    return Number.isNaN(cell.getTime()) ? fail('must be a real date') : ok(isoDateOf(cell));
  }
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell) || cell < EXCEL_FIRST_SERIAL || cell >= EXCEL_LAST_SERIAL + 1) {
      return fail(`must be a date written ${DATE_FORMATS} (got ${cell})`);
    }
    const epoch = options.date1904 ? EXCEL_EPOCH_1904 : EXCEL_EPOCH_1900;
    return ok(isoDateOf(new Date(epoch + Math.floor(cell) * DAY_MS)));
  }
  if (typeof cell !== 'string') return fail(`must be a date written ${DATE_FORMATS} (got ${describeCell(cell)})`);
  const text = cell.trim();
  let iso: string | null = null;
  const isoMatch = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const indianMatch = /^(\d{1,2})([/-])(\d{1,2})\2(\d{4})$/.exec(text);
  if (isoMatch) iso = `${isoMatch[1]}-${pad(isoMatch[2])}-${pad(isoMatch[3])}`;
  else if (indianMatch) iso = `${indianMatch[4]}-${pad(indianMatch[3])}-${pad(indianMatch[1])}`;
  if (iso === null) return fail(`must be a date written ${DATE_FORMATS} (got ${describeCell(cell)})`);
  return isBusinessDate(iso) ? ok(iso) : fail(`must be a real date (got ${describeCell(cell)})`);
}

function pad(part: string | undefined): string {
  return (part ?? '').padStart(2, '0');
}
