import os from 'node:os';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@loanops/config';
import { createDb, migrateToLatest, type Database } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, addDays, businessToday, npaBucket } from '@loanops/domain';
import { startDpdRun } from '@loanops/dpd';
import { createQueues, escalationJobId } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { dropDatabase, fmt, freshDatabase, peakRssMb, pollUntil, startProcess, stopProcess } from './support.js';

/**
 * npm run bench:dpd [-- --loans 1000000 --chunk 5000 --concurrency 2 --keep --reuse]
 *
 * A book of active loans with 12 monthly installments each (loaded with INSERT … SELECT from
 * generate_series, standing computed as of yesterday: about 30% of the loans in arrears, 3% NPA,
 * one borrower in nine with two loans), then today's DPD run with 1 and with 2 worker processes,
 * each on its own copy of the same book. Beside them, the floor measured on another copy in the
 * same run: one hand-written set-based UPDATE setting every loan's DPD from its installments
 * (writing the loans whose DPD changes, as the run does). Printed: wall time, loans/s, the ratio to
 * the floor and each worker's peak RSS. `--keep` keeps the book (loanops_bench_dpd); `--reuse`
 * measures on a kept book of the same size instead of loading one (for trying settings).
 */
const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '1000000' },
    chunk: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const LOANS = Number(values.loans);
const CHUNK = Number(values.chunk);
const CONCURRENCY = Number(values.concurrency);
if (![LOANS, CHUNK, CONCURRENCY].every((n) => Number.isSafeInteger(n) && n > 0)) {
  process.stderr.write('usage: npm run bench:dpd -- [--loans N] [--chunk BORROWERS] [--concurrency N] [--keep]\n');
  process.exit(64);
}
const BORROWERS = Math.ceil((LOANS * 9) / 10);

const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const BOOK = 'loanops_bench_dpd';
const COPY = 'loanops_bench_dpd_run';
const prefix = `loanops-bench-dpd-${process.pid}`;
const line = (text = '') => process.stdout.write(`${text}\n`);
const admin = new URL(serverUrl);
admin.pathname = '/postgres';
/** A kept book of this size, and the date it was built for; null when there is none. */
async function keptBook(): Promise<string | null> {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query<{ note: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1",
      [BOOK],
    );
    const match = /^bench-dpd loans=(\d+) date=(\d{4}-\d{2}-\d{2})$/.exec(found.rows[0]?.note ?? '');
    return match && Number(match[1]) === LOANS ? (match[2] as string) : null;
  } finally {
    await client.end();
  }
}
const reused = values.reuse ? await keptBook() : null;
const today = reused ?? businessToday();
const yesterday = addDays(today, -1);

/** The bucket a DPD falls in, as SQL, from the one bucket table. */
function bucketSql(dpd: string): string {
  const cases = [...DEFAULT_BUCKET_TABLE]
    .reverse()
    .map((bucket) => `WHEN ${dpd} >= ${bucket.minDpd} THEN '${bucket.name}'`)
    .join(' ');
  return `CASE ${cases} END`;
}

/**
 * The book, as of yesterday. Loan g: first EMI due 1–11 months (and 0–27 days) before today, 12
 * EMIs of ₹1,000 principal + ₹100 interest; by g % 100, 70% paid every EMI due, 15% missed the last
 * one, 8% two, 4% three, 3% four or more (every EMI due unpaid from the fourth last). Borrowers
 * 1 … LOANS/10 have two loans; NPA is borrower-wide.
 */
async function loadBook(db: Kysely<Database>): Promise<void> {
  const npa = npaBucket(DEFAULT_BUCKET_TABLE).minDpd;
  await sql`
    INSERT INTO borrowers (id, name, phone)
    SELECT g, 'Bench Borrower ' || g, '+919' || lpad(g::text, 9, '0') FROM generate_series(1, ${BORROWERS}) AS g`.execute(db);
  await sql
    .raw(
      `
    WITH p AS (
      SELECT g AS id, ((g - 1) % ${BORROWERS}) + 1 AS borrower_id,
             (DATE '${today}' - make_interval(months => 1 + (g * 7) % 11, days => g % 28))::date AS first_due,
             CASE WHEN g % 100 < 70 THEN 0 WHEN g % 100 < 85 THEN 1 WHEN g % 100 < 93 THEN 2 WHEN g % 100 < 97 THEN 3 ELSE 4 END AS missed
      FROM generate_series(1, ${LOANS}) AS g
    ), due AS (
      SELECT p.*, (SELECT count(*)::int FROM generate_series(0, 11) AS k
                   WHERE (p.first_due + make_interval(months => k))::date < DATE '${yesterday}') AS due_count
      FROM p
    ), standing AS (
      SELECT due.*, greatest(due_count - missed, 0) AS paid,
             CASE WHEN greatest(due_count - missed, 0) < due_count
                  THEN DATE '${yesterday}' - (first_due + make_interval(months => greatest(due_count - missed, 0)))::date
                  ELSE 0 END AS dpd
      FROM due
    ), classified AS (
      SELECT standing.*, max(dpd) OVER (PARTITION BY borrower_id) AS borrower_max_dpd FROM standing
    )
    INSERT INTO loans (id, loan_number, borrower_id, principal_paise, annual_rate_bps, tenure_months, disbursed_on,
                       first_due_on, dpd, bucket, dpd_as_of, principal_outstanding_paise, interest_outstanding_paise, source)
    SELECT id, 'BN' || id, borrower_id, 1200000, 1800, 12, (first_due - interval '1 month')::date, first_due, dpd,
           CASE WHEN borrower_max_dpd >= ${npa} THEN 'NPA' ELSE ${bucketSql('dpd')} END,
           DATE '${yesterday}', (12 - paid) * 100000, (12 - paid) * 10000, 'SEED'
    FROM classified ORDER BY id`,
    )
    .execute(db);
  await sql`
    INSERT INTO installments (id, loan_id, seq, due_on, principal_due_paise, interest_due_paise, principal_paid_paise, interest_paid_paise, paid_on)
    SELECT (l.id - 1) * 12 + k + 1, l.id, k + 1, (l.first_due_on + make_interval(months => k))::date, 100000, 10000,
           CASE WHEN k < 12 - l.principal_outstanding_paise / 100000 THEN 100000 ELSE 0 END,
           CASE WHEN k < 12 - l.principal_outstanding_paise / 100000 THEN 10000 ELSE 0 END,
           CASE WHEN k < 12 - l.principal_outstanding_paise / 100000 THEN (l.first_due_on + make_interval(months => k))::date END
    FROM loans l CROSS JOIN generate_series(0, 11) AS k
    ORDER BY l.id, k`.execute(db);
  for (const table of ['borrowers', 'loans', 'installments']) {
    await sql.raw(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`).execute(db);
  }
}

/** A copy of the book (file copy of the database): every measurement starts from the same bytes. */
async function copyBook(): Promise<string> {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${COPY}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${COPY}" TEMPLATE "${BOOK}" STRATEGY = FILE_COPY`);
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${COPY}`;
  return url.toString();
}

/** The floor: every loan's DPD from its installments in one UPDATE, writing those that change. */
async function measureFloor(): Promise<{ seconds: number; changed: number }> {
  const { db, close } = createDb({ databaseUrl: await copyBook(), poolMax: 1, applicationName: 'bench-floor' });
  try {
    const started = performance.now();
    // The fastest single statement found (against a per-loan lateral probe, 1.7x slower here, and a
    // correlated subquery, 2x): one pass of the unpaid-installments index grouped by loan.
    const result = await sql`
      UPDATE loans AS l
      SET dpd = n.dpd, dpd_as_of = ${today}::date
      FROM (
        SELECT s.id, coalesce(${today}::date - o.oldest, 0) AS dpd
        FROM loans s
        LEFT JOIN (
          SELECT loan_id, min(due_on) AS oldest FROM installments
          WHERE due_on < ${today}::date
            AND (principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
          GROUP BY loan_id
        ) o ON o.loan_id = s.id
        WHERE s.status IN ('ACTIVE', 'LEGAL')
      ) n
      WHERE l.id = n.id AND l.dpd <> n.dpd`.execute(db);
    return { seconds: (performance.now() - started) / 1000, changed: Number(result.numAffectedRows ?? 0) };
  } finally {
    await close();
  }
}

interface RunFigures {
  workers: number;
  seconds: number;
  loansScanned: number;
  dpdChanged: number;
  bucketChanges: number;
  rssMb: (number | null)[];
  escalation?: { seconds: number; loans: number };
}

/** Today's run on a fresh copy with `workers` worker processes (started and ready before the clock starts). */
async function measureRun(workers: number, withEscalation: boolean): Promise<RunFigures> {
  const databaseUrl = await copyBook();
  const runPrefix = `${prefix}-${workers}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: runPrefix,
    CRON_ENABLED: 'false',
    DPD_CHUNK_BORROWERS: String(CHUNK),
    DPD_CONCURRENCY: String(CONCURRENCY),
  };
  const redis = createRedis(redisUrl);
  const queues = createQueues(redis, runPrefix);
  const { db, close } = createDb({ databaseUrl, poolMax: 2, applicationName: 'bench-dpd' });
  const children = Array.from({ length: workers }, () => startProcess('apps/worker/src/main.ts', ['--queues', 'dpd'], env));
  try {
    await pollUntil(async () => (await queues.get('dpd').getWorkersCount()) >= workers, 120_000, 200);
    const clock = performance.now();
    const outcome = await startDpdRun(
      db,
      queues,
      { businessDate: today, trigger: 'MANUAL', actor: { type: 'system', id: 'bench' } },
      { chunkBorrowers: CHUNK },
    );
    if (outcome.status !== 'STARTED') throw new Error(`run not started: ${outcome.status}`);
    let run: Awaited<ReturnType<typeof readRun>> | undefined;
    await pollUntil(async () => {
      run = await readRun(db, outcome.run.id);
      return run.status !== 'RUNNING';
    }, 1_800_000, 50);
    const seconds = (performance.now() - clock) / 1000;
    if (!run || run.status !== 'SUCCEEDED') throw new Error(`run ${outcome.run.id} ended ${run?.status}: ${run?.error}`);
    const rssMb = await Promise.all(children.map((child) => peakRssMb(child.pid)));
    const figures: RunFigures = {
      workers,
      seconds,
      loansScanned: run.loans_scanned,
      dpdChanged: run.dpd_changed,
      bucketChanges: run.bucket_changes,
      rssMb,
    };
    if (withEscalation) {
      // Escalation of every loan at or past DPD 90 (not part of the run's figures).
      const escalator = startProcess('apps/worker/src/main.ts', ['--queues', 'escalation'], env);
      children.push(escalator);
      const started = performance.now();
      await pollUntil(async () => {
        const job = await queues.get('escalation').getJob(escalationJobId(outcome.run.id));
        return (await job?.getState()) === 'completed';
      }, 1_800_000, 100);
      const escalated = await sql<{ n: number }>`SELECT count(*)::int AS n FROM legal_cases`.execute(db);
      figures.escalation = { seconds: (performance.now() - started) / 1000, loans: escalated.rows[0]?.n ?? 0 };
    }
    return figures;
  } finally {
    await Promise.all(children.map(stopProcess));
    await close();
    for (const name of ['dpd', 'escalation'] as const) {
      await new Queue(name, { connection: redis, prefix: runPrefix }).obliterate({ force: true }).catch(() => undefined);
    }
    await queues.close();
    await redis.quit();
    await dropDatabase(serverUrl, COPY);
  }
}

async function readRun(db: Kysely<Database>, runId: number) {
  return db.selectFrom('job_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
}

line(`bench:dpd on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; run for ${today}`);
try {
  const bookUrl = reused ? new URL(`/${BOOK}`, serverUrl).toString() : await freshDatabase(serverUrl, BOOK);
  const book = createDb({ databaseUrl: bookUrl, poolMax: 1, applicationName: 'bench-dpd-load' });
  const loadStarted = performance.now();
  try {
    if (!reused) {
      await migrateToLatest(book.db);
      await loadBook(book.db);
      await sql`VACUUM (ANALYZE)`.execute(book.db);
      await sql.raw(`COMMENT ON DATABASE "${BOOK}" IS 'bench-dpd loans=${LOANS} date=${today}'`).execute(book.db);
    }
    const shape = await sql<{ loans: number; installments: number; arrears: number; npa: number }>`
      SELECT (SELECT count(*)::int FROM loans) AS loans, (SELECT count(*)::int FROM installments) AS installments,
             (SELECT count(*)::int FROM loans WHERE dpd > 0) AS arrears, (SELECT count(*)::int FROM loans WHERE bucket = 'NPA') AS npa`.execute(book.db);
    const row = shape.rows[0];
    line(
      `book: ${fmt(row?.loans ?? 0)} active loans, ${fmt(row?.installments ?? 0)} installments, ${fmt(row?.arrears ?? 0)} in arrears, ` +
        `${fmt(row?.npa ?? 0)} NPA, as of ${yesterday} (${reused ? 'kept from an earlier run' : `loaded in ${fmt((performance.now() - loadStarted) / 1000, 1)} s`})`,
    );
  } finally {
    await book.close();
  }

  const floor = await measureFloor();
  line(`floor: one UPDATE of every loan's DPD from its installments: ${fmt(floor.seconds, 1)} s (${fmt(floor.changed)} loans changed)`);
  const runs: RunFigures[] = [];
  for (const workers of [1, 2]) {
    const figures = await measureRun(workers, workers === 2);
    runs.push(figures);
    line(`run with ${workers} worker process${workers > 1 ? 'es' : ''}: ${fmt(figures.seconds, 1)} s`);
  }

  line();
  line(`chunks of ${fmt(CHUNK)} borrowers, ${CONCURRENCY} chunks at once per worker process`);
  line();
  line('| run | wall time | loans/s | floor (same run) | ratio to floor | peak RSS per worker |');
  line('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const run of runs) {
    line(
      `| ${run.workers} worker process${run.workers > 1 ? 'es' : ''} | ${fmt(run.seconds, 1)} s | ${fmt(run.loansScanned / run.seconds)} | ` +
        `${fmt(floor.seconds, 1)} s | ${fmt(run.seconds / floor.seconds, 2)} | ${run.rssMb.map((mb) => (mb === null ? '—' : `${mb} MB`)).join(', ')} |`,
    );
  }
  line();
  const last = runs.at(-1);
  line(`each run: ${fmt(last?.loansScanned ?? 0)} loans scanned, ${fmt(last?.dpdChanged ?? 0)} DPD changes, ${fmt(last?.bucketChanges ?? 0)} bucket-history rows`);
  if (last?.escalation) line(`escalation after the run (1 process): ${fmt(last.escalation.loans)} legal cases in ${fmt(last.escalation.seconds, 1)} s`);
  line('targets on a 2-core machine: ≤ 60 s, ≤ 2× the floor, ≤ 300 MB RSS per worker');
} finally {
  if (!values.keep) await dropDatabase(serverUrl, BOOK);
  await dropDatabase(serverUrl, COPY);
}
