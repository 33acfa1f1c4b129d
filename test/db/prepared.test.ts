import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('prepared statements', () => {
  it('sends statements marked /*prepared:name*/ as named prepared statements, and others as they are', async () => {
    const names = await database.db.connection().execute(async (connection) => {
      for (const n of [1, 2, 3]) {
        const result = await sql<{ n: number }>`/*prepared:test-echo*/ SELECT ${n}::int AS n`.execute(connection);
        expect(result.rows).toEqual([{ n }]);
      }
      await sql`SELECT ${4}::int AS n`.execute(connection);
      const prepared = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(connection);
      return prepared.rows.map((row) => row.name);
    });
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^test-echo-[0-9a-f]{10}$/);
  });
});
