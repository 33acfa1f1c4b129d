import type { Kysely } from 'kysely';
import type { Database } from '@loanops/db';

/**
 * Accepted payments still waiting after `olderThanMs`: the enqueue after the insert failed, Redis
 * lost its data, or the job was removed. The sweeper hands them to the queue again; the job id
 * derived from the intake keeps that from ever doubling work.
 */
export async function findWaitingIntakes(
  db: Kysely<Database>,
  options: { now: Date; olderThanMs: number; limit: number },
): Promise<string[]> {
  const cutoff = new Date(options.now.getTime() - options.olderThanMs);
  const rows = await db
    .selectFrom('payment_intake')
    .select('id')
    .where('status', '=', 'RECEIVED')
    .where('received_at', '<', cutoff)
    .orderBy('received_at')
    .limit(options.limit)
    .execute();
  return rows.map((row) => row.id);
}
