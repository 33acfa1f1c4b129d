import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { LoanOpsError } from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import type { FailureCounts } from './failure-counts.js';
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
  /** This process's own counts, which hold the limits while Redis is away or has forgotten. */
  localFailures: FailureCounts;
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
 * user id. Failures are counted in Redis (shared by every API process) and in the process too, and
 * the larger count rules, so the limits hold while Redis is away.
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
  const local = policy.localFailures;
  const counts = await redis.mget(keys.account, keys.address).catch(() => [null, null]);
  const accountFailures = Math.max(Number(counts[0] ?? 0), local.get(keys.account));
  const addressFailures = Math.max(Number(counts[1] ?? 0), local.get(keys.address));
  const lockedKey =
    accountFailures >= policy.lockAfter.account ? keys.account : addressFailures >= policy.lockAfter.address ? keys.address : null;
  if (lockedKey !== null) {
    const ttl = await redis.ttl(lockedKey).catch(() => -2);
    throw new TooManyAttemptsError(Math.max(1, ttl, local.ttlSeconds(lockedKey)));
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
    const accountNow = Math.max(
      Number(after?.[0]?.[1] ?? 0),
      local.increment(keys.account, policy.windowSeconds),
    );
    local.increment(keys.address, policy.windowSeconds);
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
  local.delete(keys.account);
  await redis.del(keys.account).catch(() => undefined);
  const sub = user.role === 'collector' ? String(user.collector_id) : String(user.id);
  const accessToken = await signAccessToken({ sub, role: user.role }, policy.secret, policy.tokenTtlSeconds);
  return { accessToken, tokenType: 'Bearer', expiresIn: policy.tokenTtlSeconds, role: user.role };
}
