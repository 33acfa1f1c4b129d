import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@loanops/db';

/**
 * The audit chain: every audit entry, in the order its transaction's id and its own id give, is
 * hashed together with the hash before it, so altering, removing or inserting an entry anywhere
 * breaks every link after it. Entries are written without a hash (the writer never waits); the
 * sealer appends them to `audit_chain` once every transaction that could still add an earlier
 * entry has ended (transaction ids below the snapshot's xmin).
 */

export const GENESIS_HASH = '0'.repeat(64);

/**
 * An entry as the hash covers it: Postgres renders it as jsonb text (keys in jsonb's fixed order,
 * timestamps in UTC with microseconds), so the sealer and the verifier read the same bytes.
 */
const canonical = sql<string>`jsonb_build_object(
    'id', a.id,
    'txId', a.tx_id::text,
    'occurredAt', to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'actorType', a.actor_type,
    'actorId', a.actor_id,
    'actorRole', a.actor_role,
    'action', a.action,
    'entityType', a.entity_type,
    'entityId', a.entity_id,
    'before', a.before,
    'after', a.after,
    'metadata', a.metadata,
    'requestId', a.request_id
  )::text`;

export function chainHash(previousHash: string, canonicalEntry: string): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonicalEntry).digest('hex');
}

/**
 * Seals the audit entries that can no longer be preceded by another: appends them to the chain in
 * (tx_id, id) order, at most `batch` per call. One sealer at a time (an advisory lock); the others
 * return 0. Returns how many entries were sealed.
 */
export async function sealAuditChain(db: Kysely<Database>, batch = 5_000): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const lock = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext('loanops-audit-seal')) AS locked`.execute(trx);
    if (!lock.rows[0]?.locked) return 0;
    const last = await sql<{ seq: number; hash: string; tx_id: string; id: number }>`
      SELECT c.seq, c.hash, a.tx_id::text AS tx_id, a.id
      FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id
      ORDER BY c.seq DESC LIMIT 1`.execute(trx);
    const head = last.rows[0];
    const entries = await sql<{ id: number; canonical: string }>`
      SELECT a.id, ${canonical} AS canonical
      FROM audit_log a
      WHERE a.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        AND (${head === undefined} OR (a.tx_id, a.id) > (${head?.tx_id ?? '0'}::xid8, ${head?.id ?? 0}::bigint))
      ORDER BY a.tx_id, a.id
      LIMIT ${batch}`.execute(trx);
    if (entries.rows.length === 0) return 0;
    let previous = head?.hash ?? GENESIS_HASH;
    let seq = Number(head?.seq ?? 0);
    const rows = entries.rows.map((entry) => {
      seq += 1;
      const hash = chainHash(previous, entry.canonical);
      const row = { seq, audit_id: Number(entry.id), prev_hash: previous, hash };
      previous = hash;
      return row;
    });
    for (let start = 0; start < rows.length; start += 1_000) {
      await trx.insertInto('audit_chain').values(rows.slice(start, start + 1_000)).execute();
    }
    return rows.length;
  });
}

export type ChainProblemKind = 'ALTERED' | 'REMOVED' | 'BROKEN_LINK' | 'OUT_OF_ORDER' | 'UNSEALED';

export interface ChainReport {
  ok: boolean;
  /** Links checked. */
  checked: number;
  /** Entries written too recently to be sealed yet (not a problem). */
  pending: number;
  /** The first thing that does not match, naming the entry. */
  problem?: { kind: ChainProblemKind; seq: number | null; auditId: number | null; message: string };
}

/**
 * Walks the whole chain and recomputes every link from the entries as they are now. Names the
 * first link that does not match: an entry altered, an entry removed, a link missing or out of
 * order, or an entry that should have been sealed but is not in the chain (inserted behind it).
 */
export async function verifyAuditChain(db: Kysely<Database>, pageSize = 5_000): Promise<ChainReport> {
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let lastKey: { tx: string; id: number } | null = null;
  for (;;) {
    const page = await sql<{
      seq: number;
      audit_id: number;
      prev_hash: string;
      hash: string;
      present: boolean;
      tx_id: string | null;
      canonical: string | null;
    }>`
      SELECT c.seq, c.audit_id, c.prev_hash, c.hash, a.id IS NOT NULL AS present, a.tx_id::text AS tx_id,
             CASE WHEN a.id IS NULL THEN NULL ELSE ${canonical} END AS canonical
      FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id
      WHERE c.seq >= ${expectedSeq}
      ORDER BY c.seq
      LIMIT ${pageSize}`.execute(db);
    if (page.rows.length === 0) break;
    for (const link of page.rows) {
      const seq = Number(link.seq);
      const auditId = Number(link.audit_id);
      const fail = (kind: ChainProblemKind, message: string): ChainReport => ({
        ok: false,
        checked,
        pending: 0,
        problem: { kind, seq, auditId, message },
      });
      if (seq !== expectedSeq) return fail('BROKEN_LINK', `chain link ${expectedSeq} is missing (next is ${seq})`);
      if (link.prev_hash !== previousHash) return fail('BROKEN_LINK', `chain link ${seq} does not follow link ${seq - 1}`);
      if (!link.present || link.canonical === null || link.tx_id === null) {
        return fail('REMOVED', `audit entry ${auditId} (chain link ${seq}) has been removed`);
      }
      if (chainHash(previousHash, link.canonical) !== link.hash) {
        return fail('ALTERED', `audit entry ${auditId} (chain link ${seq}) has been altered: its hash does not match`);
      }
      const key = { tx: link.tx_id, id: auditId };
      if (lastKey && !(BigInt(key.tx) > BigInt(lastKey.tx) || (key.tx === lastKey.tx && key.id > lastKey.id))) {
        return fail('OUT_OF_ORDER', `audit entry ${auditId} (chain link ${seq}) is out of order`);
      }
      lastKey = key;
      previousHash = link.hash;
      expectedSeq += 1;
      checked += 1;
    }
  }
  // Entries the chain has passed but does not hold were slipped in behind it.
  const gaps = await sql<{ id: number; n: number }>`
    SELECT min(a.id) AS id, count(*)::int AS n FROM audit_log a
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)
      AND ${lastKey !== null} AND (a.tx_id, a.id) < (${lastKey?.tx ?? '0'}::xid8, ${lastKey?.id ?? 0}::bigint)`.execute(db);
  const gap = gaps.rows[0];
  if (gap && gap.n > 0) {
    return {
      ok: false,
      checked,
      pending: 0,
      problem: {
        kind: 'UNSEALED',
        seq: null,
        auditId: Number(gap.id),
        message: `audit entry ${gap.id} is not in the chain although later entries are (${gap.n} such entries)`,
      },
    };
  }
  const pending = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)`.execute(db);
  return { ok: true, checked, pending: pending.rows[0]?.n ?? 0 };
}
