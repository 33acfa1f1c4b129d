/**
 * An expected failure with a stable code the API and the queues speak: the HTTP status it maps
 * to, the fields it concerns, and whether doing the same thing again could succeed.
 */
export class LoanOpsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  /** False when retrying the same work can never succeed (a job should not be retried). */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { status?: number; details?: unknown; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'LoanOpsError';
    this.code = code;
    this.status = options.status ?? 422;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** Malformed input: 400 VALIDATION_ERROR with one entry per wrong field. */
export class ValidationError extends LoanOpsError {
  constructor(readonly issues: readonly FieldIssue[]) {
    super('VALIDATION_ERROR', issues.map((issue) => `${issue.path || 'body'}: ${issue.message}`).join('; '), {
      status: 400,
      details: issues,
    });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends LoanOpsError {
  constructor(what: string, id: string | number) {
    super('NOT_FOUND', `${what} ${id} not found`, { status: 404 });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends LoanOpsError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { status: 409, details });
    this.name = 'ConflictError';
  }
}
