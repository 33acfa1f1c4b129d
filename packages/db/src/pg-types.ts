import pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;

/** bigint to number, refusing (never rounding) anything a double cannot hold exactly. */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} is beyond 2^53 and cannot be read exactly`);
  return value;
}

/**
 * Type parsers for this product's pools only (the pg module's globals stay untouched):
 * int8 → number (exact or an error), numeric → number (ratios and scores, never money),
 * date → the `YYYY-MM-DD` text itself, so no server time zone ever shifts a business date.
 */
export const loanopsTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === undefined || format === 'text') {
      if (oid === INT8_OID) return parseInt8;
      if (oid === NUMERIC_OID) return (text: string) => Number(text);
      if (oid === DATE_OID) return (text: string) => text;
    }
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;
