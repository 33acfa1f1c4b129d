import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sealAuditChain, verifyAuditChain } from '@loanops/audit';
import { sealEverything } from '../support/audit.js';
import { recordAudit } from '@loanops/db';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTestApi, type TestApi } from '../support/api.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const entry = (n: number) => ({
  actor: { type: 'user' as const, id: `u${n}`, role: 'finance' },
  action: 'PAYMENT_POSTED',
  entityType: 'loan',
  entityId: n,
  before: { dpd: n },
  after: { dpd: 0, note: 'paid ₹1,000' },
  metadata: { n },
  requestId: `req-${n}`,
});

const sealAll = () => sealEverything(database.db, { batch: 7 });

/** A superuser session with triggers and foreign keys off: how someone would tamper. */
async function asTamperer(statement: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query("SET session_replication_role = 'replica'");
    await client.query(statement, values);
  } finally {
    await client.end();
  }
}

describe('audit log immutability', () => {
  it('refuses UPDATE, DELETE and TRUNCATE through the connection the application uses', async () => {
    await recordAudit(database.db, entry(1));
    await sealAll();
    for (const statement of [
      sql`UPDATE audit_log SET action = 'NOTHING_HAPPENED'`,
      sql`DELETE FROM audit_log`,
      sql`TRUNCATE audit_log CASCADE`,
      sql`UPDATE audit_chain SET hash = repeat('0', 64)`,
      sql`DELETE FROM audit_chain`,
      sql`TRUNCATE audit_chain`,
    ]) {
      await expect(statement.execute(database.db)).rejects.toThrow(/append-only/);
    }
    const rows = await database.db.selectFrom('audit_log').select('action').execute();
    expect(rows).toEqual([{ action: 'PAYMENT_POSTED' }]);
  });
});

describe('the hash chain', () => {
  beforeEach(async () => {
    for (let n = 10; n < 40; n += 1) await recordAudit(database.db, entry(n));
    await sealAll();
  });

  it('verifies a chain nobody touched', async () => {
    const report = await verifyAuditChain(database.db, 9);
    expect(report.ok).toBe(true);
    expect(report.checked).toBeGreaterThanOrEqual(30);
    expect(report.pending).toBe(0);
  });

  it('names the first entry that was altered', async () => {
    const victims = await database.db.selectFrom('audit_log').select('id').where('entity_id', 'in', ['17', '23']).orderBy('id').execute();
    await asTamperer(`UPDATE audit_log SET after = '{"dpd": 0, "note": "paid ₹10,000"}' WHERE id = ANY($1)`, [victims.map((v) => v.id)]);
    const report = await verifyAuditChain(database.db);
    expect(report).toMatchObject({ ok: false, problem: { kind: 'ALTERED', auditId: victims[0]?.id } });
    expect(report.problem?.message).toContain(`audit entry ${victims[0]?.id}`);
  });

  it('names an entry that was removed, and a link that was removed', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let n = 0; n < 12; n += 1) await recordAudit(fresh.db, entry(n));
      await sealEverything(fresh.db);
      const victim = await fresh.db.selectFrom('audit_log').select('id').where('entity_id', '=', '5').executeTakeFirstOrThrow();
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      await client.query("SET session_replication_role = 'replica'");
      await client.query('DELETE FROM audit_log WHERE id = $1', [victim.id]);
      const removed = await verifyAuditChain(fresh.db);
      expect(removed).toMatchObject({ ok: false, problem: { kind: 'REMOVED', auditId: victim.id } });

      await client.query('DELETE FROM audit_chain WHERE audit_id = $1', [victim.id]);
      const unlinked = await verifyAuditChain(fresh.db);
      expect(unlinked).toMatchObject({ ok: false, problem: { kind: 'BROKEN_LINK' } });
      await client.end();
    } finally {
      await fresh.drop();
    }
  });
});

describe('sealing', () => {
  it('waits for a transaction still writing entries, and never skips its entries', async () => {
    const fresh = await createTestDatabase();
    const slow = new pg.Client({ connectionString: fresh.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(
        "INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id) VALUES ('system', 'slow', 'SLOW_WRITE', 'loan', '1')",
      );
      await recordAudit(fresh.db, entry(2));
      // The slow transaction began first: nothing after it can be sealed yet.
      expect(await sealAuditChain(fresh.db)).toBe(0);
      await slow.query('COMMIT');
      expect(await sealEverything(fresh.db)).toBe(2);
      const chain = await sql<{ action: string }>`
        SELECT a.action FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id ORDER BY c.seq`.execute(fresh.db);
      expect(chain.rows.map((row) => row.action)).toEqual(['SLOW_WRITE', 'PAYMENT_POSTED']);
      expect((await verifyAuditChain(fresh.db)).ok).toBe(true);
    } finally {
      await slow.end();
      await fresh.drop();
    }
  });

  it('lets one sealer at a time do the work', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let n = 0; n < 50; n += 1) await recordAudit(fresh.db, entry(n));
      await Promise.all([sealAuditChain(fresh.db, 20), sealAuditChain(fresh.db, 20), sealAuditChain(fresh.db, 20)]);
      await sealEverything(fresh.db);
      const links = await sql<{ n: number; distinct_entries: number; max_seq: number }>`
        SELECT count(*)::int AS n, count(DISTINCT audit_id)::int AS distinct_entries, max(seq)::int AS max_seq FROM audit_chain`.execute(fresh.db);
      expect(links.rows[0]).toEqual({ n: 50, distinct_entries: 50, max_seq: 50 });
      const report = await verifyAuditChain(fresh.db);
      expect(report).toMatchObject({ ok: true, checked: 50, pending: 0 });
    } finally {
      await fresh.drop();
    }
  });
});

describe('npm run audit:verify', () => {
  it('exits 0 on a good chain and 1 naming the entry on a broken one', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let n = 0; n < 5; n += 1) await recordAudit(fresh.db, entry(n));
      // Sealed first, so what the command checks does not wait on other databases' transactions.
      await sealEverything(fresh.db);
      const run = () =>
        spawnSync(process.execPath, ['--import', 'tsx', 'apps/cli/src/audit-verify.ts'], {
          env: { ...process.env, DATABASE_URL: fresh.url },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const good = run();
      expect(good.status).toBe(0);
      expect(good.stdout).toContain('audit chain verifies: 5 entries checked');
      const victim = await fresh.db.selectFrom('audit_log').select('id').where('entity_id', '=', '3').executeTakeFirstOrThrow();
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      await client.query("SET session_replication_role = 'replica'");
      await client.query(`UPDATE audit_log SET actor_id = 'someone-else' WHERE id = $1`, [victim.id]);
      await client.end();
      const bad = run();
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain(`audit entry ${victim.id}`);
    } finally {
      await fresh.drop();
    }
  });
});

describe('GET /v1/audit', () => {
  let redis: TestRedis;
  let api: TestApi;
  beforeAll(async () => {
    redis = await createTestRedis();
    api = await startTestApi(database, redis.queues);
  });
  afterAll(async () => {
    await api.close();
    await redis.cleanup();
  });

  it('lists an entity’s entries for admins, newest first, with their chain position', async () => {
    const response = await api.request('GET', '/v1/audit?entityType=loan&entityId=15', { role: 'admin' });
    expect(response.status).toBe(200);
    const page = response.body as { items: { entityId: string; action: string; chain: { seq: number } | null }[] };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((item) => item.entityId === '15' && item.chain !== null)).toBe(true);
    expect((await api.request('GET', '/v1/audit', { role: 'ops' })).status).toBe(403);
    expect((await api.request('GET', '/v1/audit?limit=0', { role: 'admin' })).status).toBe(400);
  });
});
