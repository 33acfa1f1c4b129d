import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export interface Actor {
  type: 'user' | 'system';
  /** The user id (a JWT `sub`) or the system component, e.g. `import`, `payments-worker`. */
  id: string;
  role?: string | null;
}

export interface AuditEntry {
  actor: Actor;
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
  metadata?: unknown;
  requestId?: string | null;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

function toRow(entry: AuditEntry) {
  return {
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    actor_role: entry.actor.role ?? null,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: String(entry.entityId),
    before: json(entry.before),
    after: json(entry.after),
    metadata: json(entry.metadata),
    request_id: entry.requestId ?? null,
  };
}

/**
 * Appends audit entries inside the caller's transaction, so an action and its entry commit
 * together or not at all. The table refuses UPDATE, DELETE and TRUNCATE; the hash chain over it
 * is sealed afterwards, off the writer's path.
 */
export async function recordAudit(
  db: Kysely<Database> | Transaction<Database>,
  entries: AuditEntry | readonly AuditEntry[],
): Promise<void> {
  const list = Array.isArray(entries) ? (entries as readonly AuditEntry[]) : [entries as AuditEntry];
  if (list.length === 0) return;
  await db.insertInto('audit_log').values(list.map(toRow)).execute();
}
