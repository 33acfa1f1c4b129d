import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@loanops/db';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('a pool whose server goes away', () => {
  it('survives a checked-out connection losing its server, and the next query gets a fresh one', async () => {
    const { db, pool, close } = createDb({ databaseUrl: database.url, poolMax: 2 });
    try {
      // Checked out, as inside a transaction: the pool does not listen to its errors then, so
      // without a listener of our own the error would be thrown as an uncaught exception.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      const terminated = await sql<{ done: boolean }>`SELECT pg_terminate_backend(${rows[0]?.pid}::int) AS done`.execute(database.db);
      expect(terminated.rows[0]?.done).toBe(true);
      await ended;
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release();
      const again = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      expect(again.rows[0]?.one).toBe(1);
    } finally {
      await close();
    }
  });
});
