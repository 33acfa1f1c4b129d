import type { NextFunction, Request, Response } from 'express';
import { LoanOpsError } from '@loanops/domain';
import { isConnectionError } from '@loanops/db';
import { coerceError, isRedisUnavailableError } from '@loanops/runtime';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
  requestId: string;
}

function send(res: Response, req: Request, status: number, error: ErrorBody['error']): void {
  const body: ErrorBody = { error, requestId: req.requestId };
  res.status(status).json(body);
}

/** 404 for anything no route matched. */
export function notFound(req: Request, res: Response): void {
  send(res, req, 404, { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` });
}

/**
 * The last middleware: expected errors become their status and code; body-parser's errors become
 * 400/413; a lost database or Redis becomes 503; anything else a bare 500 with the request id.
 * No stack trace or SQL ever reaches the body.
 */
export function errorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof LoanOpsError) {
    const level = error.status >= 500 ? 'error' : error.status === 401 || error.status === 403 ? 'warn' : 'info';
    req.log[level]({ code: error.code, status: error.status }, error.message);
    const details = error.details === undefined ? {} : { details: error.details };
    send(res, req, error.status, { code: error.code, message: error.message, ...details });
    return;
  }
  const bodyError = error as { type?: unknown; status?: unknown };
  if (bodyError.type === 'entity.parse.failed') {
    send(res, req, 400, { code: 'VALIDATION_ERROR', message: 'the body is not valid JSON' });
    return;
  }
  if (bodyError.type === 'entity.too.large') {
    send(res, req, 413, { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than this API accepts' });
    return;
  }
  if (typeof bodyError.type === 'string' && typeof bodyError.status === 'number' && bodyError.status < 500) {
    send(res, req, bodyError.status, { code: 'VALIDATION_ERROR', message: 'the body could not be read' });
    return;
  }
  if (isConnectionError(error) || isRedisUnavailableError(error)) {
    req.log.error({ err: coerceError(error) }, 'dependency unavailable');
    res.set('Retry-After', '5');
    send(res, req, 503, { code: 'SERVICE_UNAVAILABLE', message: 'a dependency is unavailable; try again shortly' });
    return;
  }
  req.log.error({ err: coerceError(error) }, 'unexpected error');
  send(res, req, 500, { code: 'INTERNAL', message: 'an unexpected error occurred; quote the requestId when reporting it' });
}
