import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Role } from '@loanops/db';

export const ROLES = ['admin', 'ops', 'finance', 'collector', 'legal'] as const satisfies readonly Role[];

export interface Principal {
  /** The user id; for a collector, their collector id. */
  sub: string;
  role: Role;
}

const claimsSchema = z.object({ sub: z.string().min(1), role: z.enum(ROLES), exp: z.number() });

const key = (secret: string) => new TextEncoder().encode(secret);

/** An HS256 access token with sub, role and exp. */
export async function signAccessToken(principal: Principal, secret: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key(secret));
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: 'expired' | 'invalid' | 'claims' };

/** Verifies a token: HS256 only, exp required, sub and a known role present. */
export async function verifyAccessToken(token: string, secret: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: 'claims' };
    return { ok: true, principal: { sub: claims.data.sub, role: claims.data.role } };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}
