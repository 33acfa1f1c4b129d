import type { Kysely } from 'kysely';
import type { Database } from '@loanops/db';

export interface AuditEntryView {
  id: number;
  occurredAt: string;
  actor: { type: string; id: string | null; role: string | null };
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  metadata: unknown;
  requestId: string | null;
  /** The entry's place in the hash chain, once sealed. */
  chain: { seq: number; hash: string } | null;
}

/** Audit entries, newest first, optionally for one entity; keyset-paginated by id. */
export async function listAuditEntries(
  db: Kysely<Database>,
  filters: { entityType?: string | undefined; entityId?: string | undefined; action?: string | undefined; beforeId?: number | undefined; limit: number },
): Promise<{ items: AuditEntryView[]; nextBeforeId: number | null }> {
  let query = db
    .selectFrom('audit_log as a')
    .leftJoin('audit_chain as c', 'c.audit_id', 'a.id')
    .select([
      'a.id',
      'a.occurred_at',
      'a.actor_type',
      'a.actor_id',
      'a.actor_role',
      'a.action',
      'a.entity_type',
      'a.entity_id',
      'a.before',
      'a.after',
      'a.metadata',
      'a.request_id',
      'c.seq',
      'c.hash',
    ]);
  if (filters.entityType !== undefined) query = query.where('a.entity_type', '=', filters.entityType);
  if (filters.entityId !== undefined) query = query.where('a.entity_id', '=', filters.entityId);
  if (filters.action !== undefined) query = query.where('a.action', '=', filters.action);
  if (filters.beforeId !== undefined) query = query.where('a.id', '<', filters.beforeId);
  const rows = await query.orderBy('a.id', 'desc').limit(filters.limit + 1).execute();
  const page = rows.slice(0, filters.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      occurredAt: row.occurred_at.toISOString(),
      actor: { type: row.actor_type, id: row.actor_id, role: row.actor_role },
      action: row.action,
      entityType: row.entity_type,
      entityId: row.entity_id,
      before: row.before,
      after: row.after,
      metadata: row.metadata,
      requestId: row.request_id,
      chain: row.seq !== null && row.hash !== null ? { seq: Number(row.seq), hash: row.hash } : null,
    })),
    nextBeforeId: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
