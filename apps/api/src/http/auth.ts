import type { NextFunction, Request, Response } from 'express';
import { verifyAccessToken, type Principal } from '@loanops/auth';
import { LoanOpsError } from '@loanops/domain';
import type { Role } from '@loanops/db';

export type { Principal };

export class UnauthenticatedError extends LoanOpsError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message, { status: 401 });
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends LoanOpsError {
  constructor(message: string) {
    super('FORBIDDEN', message, { status: 403 });
    this.name = 'ForbiddenError';
  }
}

/** Verifies `Authorization: Bearer <JWT>` (HS256 only, exp required) and sets req.principal. */
export function authenticate(secret: string) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization');
    const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header.trim());
    if (!match?.[1]) {
      next(new UnauthenticatedError('a bearer token is required'));
      return;
    }
    const check = await verifyAccessToken(match[1], secret);
    if (!check.ok) {
      const messages = {
        expired: 'the token has expired',
        invalid: 'the token is not valid',
        claims: 'the token lacks a valid sub, role or exp',
      } as const;
      next(new UnauthenticatedError(messages[check.reason]));
      return;
    }
    req.principal = check.principal;
    next();
  };
}

/** Refuses callers whose role the route table does not list. */
export function allowRoles(roles: readonly Role[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const principal = req.principal;
    if (!principal) {
      next(new UnauthenticatedError('a bearer token is required'));
      return;
    }
    if (!roles.includes(principal.role)) {
      next(new ForbiddenError(`role ${principal.role} may not do this`));
      return;
    }
    next();
  };
}

/** The principal of an authenticated request (routes run after authenticate()). */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new UnauthenticatedError('a bearer token is required');
  return req.principal;
}

/** For a collector, the collector id their loans are scoped to. */
export function collectorScope(principal: Principal): number | undefined {
  if (principal.role !== 'collector') return undefined;
  const id = Number(principal.sub);
  if (!Number.isSafeInteger(id) || id <= 0) throw new ForbiddenError('a collector token must carry the collector id');
  return id;
}
