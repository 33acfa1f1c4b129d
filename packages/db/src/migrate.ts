import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { migrations } from '@loanops/migrations';
import pg from 'pg';

const provider = { getMigrations: async (): Promise<Record<string, Migration>> => migrations };

export class MigrationError extends Error {
  constructor(message: string, readonly results: MigrationResultSet['results'], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function check(outcome: MigrationResultSet): string[] {
  const failed = outcome.results?.find((result) => result.status === 'Error');
  if (outcome.error !== undefined || failed) {
    const cause = outcome.error instanceof Error ? outcome.error.message : String(outcome.error ?? 'unknown error');
    throw new MigrationError(`migration ${failed?.migrationName ?? '(none)'} failed: ${cause}`, outcome.results, {
      cause: outcome.error,
    });
  }
  return (outcome.results ?? []).map((result) => `${result.direction === 'Up' ? 'applied' : 'reverted'} ${result.migrationName}`);
}

/** Brings the schema to the newest migration; returns what it did, one line each. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  return check(await new Migrator({ db, provider }).migrateToLatest());
}

/** Reverts every migration (for tests of the down path). */
export async function migrateDownToEmpty<DB>(db: Kysely<DB>): Promise<string[]> {
  const lines: string[] = [];
  const migrator = new Migrator({ db, provider });
  for (;;) {
    const executed = (await migrator.getMigrations()).filter((migration) => migration.executedAt !== undefined);
    if (executed.length === 0) return lines;
    lines.push(...check(await migrator.migrateDown()));
  }
}

/** True when every migration this code knows has been applied. */
export async function isSchemaCurrent<DB>(db: Kysely<DB>): Promise<boolean> {
  const known = await new Migrator({ db, provider }).getMigrations();
  return known.every((migration) => migration.executedAt !== undefined);
}

/**
 * Creates the database named in `databaseUrl` when the server has no such database yet (a
 * fresh machine). Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`unusual database name ${JSON.stringify(name)}`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

