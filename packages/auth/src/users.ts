import type { Kysely } from 'kysely';
import { ConflictError, LoanOpsError, ValidationError, normalizeEmail } from '@loanops/domain';
import { isUniqueViolation, recordAudit, type Actor, type Database, type Role } from '@loanops/db';
import { hashPassword, passwordProblem } from './passwords.js';
import { ROLES } from './tokens.js';

export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  password: string;
  /** For the collector role: the collector's code (COL0001); the collector is created if `collectorName` is given. */
  collectorCode?: string;
  collectorName?: string;
}

/** Creates a user with a scrypt hash of the password, audited. A collector user is tied to a collector. */
export async function createUser(db: Kysely<Database>, user: NewUser, actor: Actor): Promise<{ id: number; collectorId: number | null }> {
  const email = normalizeEmail(user.email);
  const issues = [];
  if (email === null) issues.push({ path: 'email', message: 'must be an e-mail address' });
  if (!(ROLES as readonly string[]).includes(user.role)) issues.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` });
  const problem = passwordProblem(user.password);
  if (problem) issues.push({ path: 'password', message: problem });
  if (!user.displayName.trim()) issues.push({ path: 'displayName', message: 'must not be empty' });
  if (user.role === 'collector' && !user.collectorCode) issues.push({ path: 'collectorCode', message: 'is required for a collector' });
  if (user.role !== 'collector' && user.collectorCode) issues.push({ path: 'collectorCode', message: 'only a collector has one' });
  if (issues.length > 0) throw new ValidationError(issues);

  const passwordHash = await hashPassword(user.password);
  return db.transaction().execute(async (trx) => {
    let collectorId: number | null = null;
    if (user.collectorCode) {
      const code = user.collectorCode.trim().toUpperCase();
      if (user.collectorName) {
        await trx
          .insertInto('collectors')
          .values({ code, name: user.collectorName.trim() })
          .onConflict((conflict) => conflict.column('code').doNothing())
          .execute();
      }
      const collector = await trx.selectFrom('collectors').select('id').where('code', '=', code).executeTakeFirst();
      if (!collector) {
        throw new LoanOpsError('COLLECTOR_NOT_FOUND', `no collector ${code} (give a name to create one)`, { status: 422 });
      }
      collectorId = collector.id;
    }
    try {
      const row = await trx
        .insertInto('users')
        .values({
          email: email as string,
          display_name: user.displayName.trim(),
          role: user.role,
          password_hash: passwordHash,
          collector_id: collectorId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(trx, {
        actor,
        action: 'USER_CREATED',
        entityType: 'user',
        entityId: row.id,
        after: { email, displayName: user.displayName.trim(), role: user.role, collectorId },
      });
      return { id: row.id, collectorId };
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw new ConflictError('DUPLICATE_EMAIL', `a user with ${email} exists`);
      throw error;
    }
  });
}
