import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '@loanops/db';
import { withDatabase } from './services.js';

export interface TestDatabase extends Db {
  /** The connection string of this file's own database. */
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(inject('serverDatabaseUrl'), 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of the test file's own, cloned from the migrated template, so files run in
 * parallel without seeing each other's rows.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `loanops_t_${process.ppid}_${randomBytes(5).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : inject('templateDatabase');
  await admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = withDatabase(inject('serverDatabaseUrl'), name);
  const handle = createDb({ databaseUrl: url, poolMax: 12, applicationName: 'loanops-test' });
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/**
 * Runs statements in a superuser session with triggers and foreign keys off (replica mode): how
 * someone would tamper with the book behind the application's back.
 */
export async function tamperWith(database: Pick<TestDatabase, 'url'>, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query("SET session_replication_role = 'replica'");
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
