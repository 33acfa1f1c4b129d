import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, ensureDatabaseExists, migrateToLatest, postgresProblem } from '@loanops/db';
import { describeUrl } from '@loanops/runtime';
import { businessToday } from '@loanops/domain';
import { seedBook } from '@loanops/loan-book';

/**
 * npm run bench:seed -- [--loans N] [--keep]
 *
 * Seeds a scratch database (loanops_seedbench on DATABASE_URL's server, dropped first and
 * after) and sets the seed's rows/s beside a floor measured on the same connection right after:
 * a bare COPY of as many two-integer rows into a table without indexes or constraints, in one
 * transaction that is rolled back. The ratio says how much the book's indexes, CHECKs, foreign
 * keys and wider rows cost over moving bytes into Postgres.
 */

const SCRATCH_DATABASE = 'loanops_seedbench';

const { values } = parseArgs({
  options: { loans: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' }, keep: { type: 'boolean' } },
});
const loans = Number(values.loans);
const seed = Number(values.seed);
if (!Number.isSafeInteger(loans) || loans < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: npm run bench:seed -- [--loans N] [--seed INT] [--keep]\n');
  process.exit(64);
}

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const count = (value: number): string => Math.round(value).toLocaleString('en-US');

const config = loadConfigOrExit(cliConfigSchema);
const scratch = new URL(config.DATABASE_URL);
scratch.pathname = `/${SCRATCH_DATABASE}`;
const scratchUrl = scratch.toString();

const problem = await postgresProblem(scratchUrl);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(69);
}

async function dropScratch(): Promise<void> {
  const admin = new URL(scratchUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${SCRATCH_DATABASE}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

await dropScratch();
await ensureDatabaseExists(scratchUrl);
const { db, pool, close } = createDb({ databaseUrl: scratchUrl, poolMax: 2, applicationName: 'loanops-bench-seed' });
try {
  await migrateToLatest(db);
  const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  print(`seed benchmark: ${count(loans)} loans into ${describeUrl(scratchUrl)}`);
  print(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Postgres ${version}`);

  let lastReport = 0;
  const summary = await seedBook(pool, {
    loans,
    seed,
    today: businessToday(),
    bucketTable: config.BUCKET_TABLE,
    onProgress: (progress) => {
      if (progress.elapsedMs - lastReport < 10_000) return;
      lastReport = progress.elapsedMs;
      print(`  seed: ${count(progress.loans)} loans, ${count(progress.rows)} rows, ${(progress.elapsedMs / 1_000).toFixed(0)} s`);
    },
  });
  const seedRate = summary.rows / (summary.elapsedMs / 1_000);
  print(`seed:  ${count(summary.rows)} rows in ${(summary.elapsedMs / 1_000).toFixed(1)} s = ${count(seedRate)} rows/s`);
  print(
    `       COPY busy ${(summary.copyMs / 1_000).toFixed(1)} s of it (${((100 * summary.copyMs) / summary.elapsedMs).toFixed(0)}%): ` +
      `${summary.copyMs > 0.9 * summary.elapsedMs ? 'Postgres' : 'generating rows'} is the bound`,
  );

  const floorMs = await bareCopy(pool, summary.rows);
  const floorRate = summary.rows / (floorMs / 1_000);
  print(`floor: ${count(summary.rows)} bare rows in ${(floorMs / 1_000).toFixed(1)} s = ${count(floorRate)} rows/s`);
  print(`ratio: the seed runs at ${((100 * seedRate) / floorRate).toFixed(0)}% of the bare COPY floor`);
} finally {
  await close();
  if (!values.keep) await dropScratch();
}

/** COPYs `rows` rows of two integers into an index-free table, in a transaction rolled back. */
async function bareCopy(pool: pg.Pool, rows: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE TABLE seed_floor (a bigint, b bigint)');
    const started = performance.now();
    const stream = client.query(copyFrom('COPY seed_floor (a, b) FROM STDIN'));
    await pipeline(Readable.from(floorChunks(rows)), stream);
    const elapsed = performance.now() - started;
    await client.query('ROLLBACK');
    return elapsed;
  } finally {
    client.release();
  }
}

function* floorChunks(rows: number): Generator<string> {
  const perChunk = 20_000;
  for (let start = 1; start <= rows; start += perChunk) {
    const lines: string[] = [];
    for (let id = start; id < Math.min(start + perChunk, rows + 1); id += 1) lines.push(`${id}\t${id * 7}\n`);
    yield lines.join('');
  }
}
