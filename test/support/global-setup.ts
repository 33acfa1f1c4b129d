import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '@loanops/db';
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL, answers, withDatabase } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    serverDatabaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

interface Started {
  stop(): Promise<unknown>;
}

/**
 * Finds Postgres and Redis: DATABASE_URL / REDIS_URL when given, else the local services when
 * they answer, else containers through testcontainers when Docker is there. Then builds one
 * migrated template database that each test file clones (see db.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: Started[] = [];
  let serverDatabaseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (serverDatabaseUrl === undefined) {
    if (await answers(LOCAL_DATABASE_URL)) serverDatabaseUrl = LOCAL_DATABASE_URL;
    else {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:15').start();
      started.push(container);
      serverDatabaseUrl = container.getConnectionUri();
    }
  }
  if (redisUrl === undefined) {
    if (await answers(LOCAL_REDIS_URL)) redisUrl = LOCAL_REDIS_URL;
    else {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7').start();
      started.push(container);
      redisUrl = container.getConnectionUrl();
    }
  }

  const templateDatabase = `loanops_tpl_${migrationsHash()}`;
  await buildTemplate(serverDatabaseUrl, templateDatabase);

  project.provide('serverDatabaseUrl', serverDatabaseUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', redisUrl);

  return async () => {
    await dropLeftovers(serverDatabaseUrl, process.pid);
    for (const container of started) await container.stop();
  };
}

function migrationsHash(): string {
  const dir = path.resolve(import.meta.dirname, '../../migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts')).sort()) {
    hash.update(file).update(readFileSync(path.join(dir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The template is built once per schema version and kept; a build interrupted half way is
 * recognised by its missing marker comment and redone.
 */
async function buildTemplate(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query("SELECT pg_advisory_lock(hashtext('loanops-test-template'))");
    const found = await admin.query<{ ready: boolean }>(
      "SELECT coalesce(shobj_description(oid, 'pg_database') LIKE 'ready%', false) AS ready FROM pg_database WHERE datname = $1",
      [name],
    );
    // Templates of other schemas: a half-built one, or one made more than a day ago, is of no further
    // use. A recent one may belong to another checkout testing another schema on the same server and
    // is kept; one another run is cloning from right now is left alone (DROP without FORCE refuses a
    // database in use).
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database
       WHERE datname LIKE 'loanops\\_tpl\\_%' AND datname <> $1
         AND coalesce(substring(shobj_description(oid, 'pg_database') FROM '^ready (\\d+)$')::bigint, 0) < $2`,
      [name, Date.now() - 24 * 3600 * 1000],
    );
    for (const row of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}"`).catch(() => undefined);
    if (found.rows[0]?.ready) return;
    if (found.rowCount) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: withDatabase(serverUrl, name), max: 1 }) }),
    });
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
    await admin.query(`COMMENT ON DATABASE "${name}" IS 'ready ${Date.now()}'`);
  } finally {
    await admin.query("SELECT pg_advisory_unlock(hashtext('loanops-test-template'))").catch(() => undefined);
    await admin.end();
  }
}

/** Test databases of this run that a crashed file left behind. */
async function dropLeftovers(serverUrl: string, runPid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const rows = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `loanops_t_${runPid}_%`,
    ]);
    for (const row of rows.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
