/** The parts of a node-postgres error this product looks at. */
export interface PgError {
  code: string;
  constraint?: string;
  detail?: string;
  column?: string;
}

export function isPgError(error: unknown): error is PgError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code)
  );
}

/** A unique violation, optionally of one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return isPgError(error) && error.code === '23505' && (constraint === undefined || error.constraint === constraint);
}

export function isCheckViolation(error: unknown, constraint?: string): boolean {
  return isPgError(error) && error.code === '23514' && (constraint === undefined || error.constraint === constraint);
}

/** Serialization failures and deadlocks: safe to run the whole transaction again. */
export function isRetryableTransactionError(error: unknown): boolean {
  return isPgError(error) && (error.code === '40001' || error.code === '40P01');
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/** The database is unreachable or went away (as opposed to refusing a statement). */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    return true;
  }
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
  );
}
