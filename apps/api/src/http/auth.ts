import type { NextFunction, Request, Response } from 'express';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { LoanOpsError } from '@loanops/domain';
import type { Role } from '@loanops/db';
import { ROLES } from './access.js';

export interface Principal {
  /** The user id; for a collector, their collector id. */
  sub: string;
  role: Role;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES as [Role, ...Role[]]),
  exp: z.number(),
});

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

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs an HS256 access token. */
export async function signAccessToken(principal: Principal, secret: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(secretKey(secret));
}

/** Verifies `Authorization: Bearer <JWT>` (HS256 only, exp required) and sets req.principal. */
export function authenticate(secret: string) {
  const key = secretKey(secret);
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization');
    const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header.trim());
    if (!match?.[1]) {
      next(new UnauthenticatedError('a bearer token is required'));
      return;
    }
    try {
      const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) {
        next(new UnauthenticatedError('the token lacks a valid sub, role or exp'));
        return;
      }
      req.principal = { sub: claims.data.sub, role: claims.data.role };
      next();
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      next(new UnauthenticatedError(expired ? 'the token has expired' : 'the token is not valid'));
    }
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
