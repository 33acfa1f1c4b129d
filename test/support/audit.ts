import { sql, type Kysely } from 'kysely';
import { sealAuditChain } from '@loanops/audit';
import type { Database } from '@loanops/db';
import { waitFor } from './wait.js';

/**
 * Seals every audit entry of the database, waiting (up to a deadline) while it cannot: sealing
 * waits for the oldest transaction still running on the whole server, and the test files running
 * beside this one have transactions of their own, in their own databases, that may still be open.
 * Returns how many entries it sealed.
 */
export async function sealEverything(db: Kysely<Database>, options: { batch?: number; timeoutMs?: number } = {}): Promise<number> {
  let total = 0;
  await waitFor(
    async () => {
      for (let count = -1; count !== 0; ) {
        count = await sealAuditChain(db, options.batch);
        total += count;
      }
      const unsealed = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)`.execute(db);
      return unsealed.rows[0]?.n === 0;
    },
    { what: 'every audit entry sealed', timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100 },
  );
  return total;
}
