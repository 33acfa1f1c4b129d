import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loanopsTypes } from './pg-types.js';
import { preparedStatements } from './prepared.js';
import type { Database } from './schema.js';

export interface DbOptions {
  databaseUrl: string;
  poolMax?: number;
  /** Shown in pg_stat_activity, to tell the API's connections from a worker's. */
  applicationName?: string;
  /** A statement running longer than this is cancelled (ms); 0 for none. */
  statementTimeoutMs?: number;
}

export interface Db {
  db: Kysely<Database>;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createPool(options: DbOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? 'loanops',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 0,
    types: loanopsTypes,
  });
  // An idle client losing its server (restart, network) must not crash the process; the pool
  // drops it and the next query gets a fresh one.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    // A client in use (checked out, e.g. between the statements of a transaction) losing its
    // server emits 'error' with nobody listening but the pool's idle listener, which it no longer
    // has: without this listener that crashes the process. The statement in flight or the next
    // one fails instead, and the pool drops the broken client when it is released.
    client.on('error', () => undefined);
    preparedStatements(client);
  });
  return pool;
}

/** A Kysely instance over a pool of its own. */
export function createDb(options: DbOptions): Db {
  const pool = createPool(options);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    // Kysely's destroy ends the pool it was given.
    close: () => db.destroy(),
  };
}
