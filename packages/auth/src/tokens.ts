import { createSecretKey, type KeyObject } from 'node:crypto';
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

const keys = new Map<string, KeyObject>();
/** The HMAC key of a secret, imported once (importing it per request costs more than the HMAC). */
function key(secret: string): KeyObject {
  let found = keys.get(secret);
  if (!found) {
    found = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, found);
  }
  return found;
}

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

/**
 * Tokens already verified, keyed by the whole token (signature included) with the secret they were
 * checked against: a client reuses its token for every request, and checking a signature costs
 * more than the rest of an intake request. Expiry is checked on every use; the map is bounded.
 */
const verified = new Map<string, { secret: string; principal: Principal; expMs: number }>();
const VERIFIED_MAX = 10_000;

/** Verifies a token: HS256 only, exp required, sub and a known role present. */
export async function verifyAccessToken(token: string, secret: string): Promise<TokenCheck> {
  const cached = verified.get(token);
  if (cached && cached.secret === secret) {
    if (Date.now() < cached.expMs) return { ok: true, principal: cached.principal };
    verified.delete(token);
    return { ok: false, reason: 'expired' };
  }
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: 'claims' };
    const principal: Principal = { sub: claims.data.sub, role: claims.data.role };
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(token, { secret, principal, expMs: claims.data.exp * 1000 });
    return { ok: true, principal };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}
