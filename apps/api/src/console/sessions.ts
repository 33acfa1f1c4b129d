import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database, Role } from '@loanops/db';

/** Who may open the queue console at all; only admin may change anything in it. */
export const CONSOLE_ROLES: readonly Role[] = ['admin', 'ops'];

export interface ConsoleSession {
  userId: number;
  email: string;
  role: Role;
}

export interface SessionStore {
  /** A new opaque session id (the cookie value); only its hash is stored. */
  create(session: ConsoleSession): Promise<string>;
  /**
   * The signed-in user behind a cookie value, checked against the users table on every request:
   * a user disabled or moved out of admin/ops since signing in is signed out.
   */
  find(id: string): Promise<ConsoleSession | null>;
  destroy(id: string): Promise<void>;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Console sessions as opaque random ids in Redis with an expiry (sign-out deletes them; nothing
 * in the cookie can be forged or replayed after it). Redis holds only a hash of the id.
 */
export function redisSessionStore(deps: { db: Kysely<Database>; redis: Redis; keyPrefix: string; ttlSeconds: number }): SessionStore {
  const keyOf = (id: string) => `${deps.keyPrefix}:console-session:${createHash('sha256').update(id).digest('hex')}`;
  return {
    async create(session) {
      const id = randomBytes(32).toString('base64url');
      await deps.redis.set(keyOf(id), JSON.stringify(session), 'EX', deps.ttlSeconds);
      return id;
    },
    async find(id) {
      if (!ID_PATTERN.test(id)) return null;
      const raw = await deps.redis.get(keyOf(id));
      if (raw === null) return null;
      const stored = JSON.parse(raw) as ConsoleSession;
      const user = await deps.db
        .selectFrom('users')
        .select(['id', 'email', 'role', 'disabled_at'])
        .where('id', '=', stored.userId)
        .executeTakeFirst();
      if (!user || user.disabled_at !== null || !CONSOLE_ROLES.includes(user.role)) {
        await deps.redis.del(keyOf(id));
        return null;
      }
      return { userId: user.id, email: user.email, role: user.role };
    },
    async destroy(id) {
      if (ID_PATTERN.test(id)) await deps.redis.del(keyOf(id));
    },
  };
}
