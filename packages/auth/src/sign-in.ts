import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { LoanOpsError } from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import { decoyHash, verifyPassword } from './passwords.js';
import { signAccessToken, type Principal } from './tokens.js';

export interface SignInPolicy {
  secret: string;
  tokenTtlSeconds: number;
  /** Failures (per account and per address) counted over this window. */
  windowSeconds: number;
  /** From this many failures on, each attempt waits a second more before it is answered… */
  slowAfter: number;
  /** …and from this many on, attempts are refused until the window ends. */
  lockAfter: { account: number; address: number };
  /** Prefix of the Redis keys the counters live under. */
  keyPrefix: string;
}

export class TooManyAttemptsError extends LoanOpsError {
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_ATTEMPTS', 'too many failed sign-ins; try again later', { status: 429 });
    this.name = 'TooManyAttemptsError';
  }
}

export class InvalidCredentialsError extends LoanOpsError {
  constructor() {
    super('INVALID_CREDENTIALS', 'the e-mail or password is wrong', { status: 401 });
    this.name = 'InvalidCredentialsError';
  }
}

export interface SignedIn {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  role: Principal['role'];
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * E-mail and password to an access token. Failed attempts are counted per account and per address
 * in Redis: past `slowAfter` each answer is delayed, past `lockAfter` attempts are refused (429)
 * until the window ends, even with the right password. An unknown e-mail costs the same scrypt as a
 * known one. A collector's token carries their collector id as `sub` (SPEC), anyone else's their
 * user id. If Redis is away the counters are skipped (the password is still checked).
 */
export async function signIn(
  db: Kysely<Database>,
  redis: Redis,
  attempt: { email: string; password: string; address: string; requestId: string | null },
  policy: SignInPolicy,
): Promise<SignedIn> {
  const email = attempt.email.trim().toLowerCase();
  const keys = {
    account: `${policy.keyPrefix}:signin-failures:account:${email}`,
    address: `${policy.keyPrefix}:signin-failures:address:${attempt.address}`,
  };
  const counts = await redis.mget(keys.account, keys.address).catch(() => [null, null]);
  const accountFailures = Number(counts[0] ?? 0);
  const addressFailures = Number(counts[1] ?? 0);
  if (accountFailures >= policy.lockAfter.account || addressFailures >= policy.lockAfter.address) {
    const ttl = await redis
      .ttl(accountFailures >= policy.lockAfter.account ? keys.account : keys.address)
      .catch(() => policy.windowSeconds);
    throw new TooManyAttemptsError(Math.max(1, ttl));
  }
  const failures = Math.max(accountFailures, addressFailures);
  if (failures >= policy.slowAfter) await wait(Math.min(5, failures - policy.slowAfter + 1) * 1_000);

  const user = await db
    .selectFrom('users')
    .select(['id', 'role', 'password_hash', 'collector_id', 'disabled_at'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .executeTakeFirst();
  const valid = await verifyPassword(attempt.password, user?.password_hash ?? (await decoyHash()));
  if (!user || !valid || user.disabled_at !== null) {
    const after = await redis
      .multi()
      .incr(keys.account)
      .expire(keys.account, policy.windowSeconds, 'NX')
      .incr(keys.address)
      .expire(keys.address, policy.windowSeconds, 'NX')
      .exec()
      .catch(() => null);
    const accountNow = Number(after?.[0]?.[1] ?? 0);
    if (user && accountNow === policy.lockAfter.account) {
      await recordAudit(db, {
        actor: { type: 'system', id: 'sign-in' },
        action: 'USER_LOCKED_OUT',
        entityType: 'user',
        entityId: user.id,
        requestId: attempt.requestId,
        metadata: { failures: accountNow, windowSeconds: policy.windowSeconds },
      });
    }
    throw new InvalidCredentialsError();
  }
  await redis.del(keys.account).catch(() => undefined);
  const sub = user.role === 'collector' ? String(user.collector_id) : String(user.id);
  const accessToken = await signAccessToken({ sub, role: user.role }, policy.secret, policy.tokenTtlSeconds);
  return { accessToken, tokenType: 'Bearer', expiresIn: policy.tokenTtlSeconds, role: user.role };
}
