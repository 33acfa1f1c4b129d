import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrateToLatest, type Db } from '@loanops/db';
import { startTestApi } from '../support/api.js';
import type { TestDatabase } from '../support/db.js';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { withDatabase } from '../support/services.js';

/**
 * Postgres restarting under a running process (a server of the test's own): a connection held
 * in the middle of a transaction does not take the process down, and a refused protected edit is
 * still audited when the audit write first finds Postgres away.
 */
let postgres: OwnPostgres;
let redis: TestRedis;
let handle: Db;
let url: string;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startOwnPostgres(), createTestRedis()]);
  const admin = createDb({ databaseUrl: postgres.url, poolMax: 1 });
  await sql`CREATE DATABASE loanops`.execute(admin.db);
  await admin.close();
  url = withDatabase(postgres.url, 'loanops');
  handle = createDb({ databaseUrl: url, poolMax: 3 });
  await migrateToLatest(handle.db);
});
afterAll(async () => {
  await handle?.close();
  await redis?.cleanup();
  await postgres?.destroy();
});

describe('Postgres restarting under a running process', () => {
  it('a transaction holding a connection across the restart fails; the process lives and the pool serves again', async () => {
    const outcome = await handle.db
      .transaction()
      .execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        await postgres.restart();
        await sql`SELECT 1`.execute(trx);
      })
      .then(
        () => 'committed',
        (error: unknown) => String(error),
      );
    expect(outcome).toMatch(/terminat|not queryable/i);
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
  });

  it('audits a refused protected edit whose audit write first finds Postgres down', async () => {
    const database = { ...handle, url, name: 'loanops', drop: async () => undefined } satisfies TestDatabase;
    const api = await startTestApi(database, redis.queues);
    try {
      await postgres.stop();
      const answer = api.request('PATCH', '/v1/loans/1', { role: 'ops', body: { notes: 'x', principalPaise: 1 } });
      await postgres.start();
      const response = await answer;
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'FINANCIAL_FIELD_PROTECTED' } });
      const { requestId } = response.body as { requestId: string };
      const audited = await handle.db
        .selectFrom('audit_log')
        .select(['action', 'entity_type', 'entity_id'])
        .where('request_id', '=', requestId)
        .execute();
      expect(audited).toEqual([{ action: 'FINANCIAL_GUARD_TRIGGERED', entity_type: 'loan', entity_id: '1' }]);
    } finally {
      await api.close();
    }
  });
});
