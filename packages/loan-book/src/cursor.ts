import { ValidationError } from '@loanops/domain';

/** Opaque page cursors: the last id a page returned, so pages stay stable under inserts. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed) {
      const after = (parsed as { after: unknown }).after;
      if (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) return after;
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
}
