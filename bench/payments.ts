import os from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Queue, Worker } from 'bullmq';
import { sql } from 'kysely';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@loanops/config';
import { createDb, migrateToLatest } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, businessToday } from '@loanops/domain';
import { seedBook } from '@loanops/loan-book';
import { paymentJobId } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { cpuSeconds, dropDatabase, fmt, freePort, freshDatabase, machineBusySeconds, pollUntil, startProcess, stopProcess } from './support.js';

/**
 * npm run bench:payments [-- --loans 100000 --requests 20000 --concurrency 64 --payments 20000 --worker-concurrency 64 --api-node-args='…']
 *
 * On a seeded book: intake requests/s with p50/p99 latency (the API as its own process, driven
 * over HTTP by autocannon), then payments posted/s with 1 and 2 worker processes. Each figure is printed next
 * to a floor measured in the same run on the same machine: single-row INSERT commits/s over a
 * pool of the same size, and empty BullMQ jobs added and processed/s.
 */
const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    payments: { type: 'string', default: '20000' },
    'worker-concurrency': { type: 'string', default: '64' },
    keep: { type: 'boolean', default: false },
    'api-node-args': { type: 'string', default: '' },
  },
});
const LOANS = Number(values.loans);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const PAYMENTS = Number(values.payments);
const WORKER_CONCURRENCY = Number(values['worker-concurrency']);
const POOL = 16;

const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const dbName = 'loanops_bench_payments';
const prefix = `loanops-bench-${process.pid}`;
const line = (text = '') => process.stdout.write(`${text}\n`);

line(`bench:payments on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
const databaseUrl = await freshDatabase(serverUrl, dbName);
const { db, pool, close } = createDb({ databaseUrl, poolMax: POOL, applicationName: 'bench' });
const redis = createRedis(redisUrl);
const today = businessToday();

try {
  await migrateToLatest(db);
  const seeded = await seedBook(pool, { loans: LOANS, seed: 7, today, bucketTable: DEFAULT_BUCKET_TABLE });
  line(`seeded ${fmt(seeded.loans)} loans in ${fmt(seeded.elapsedMs / 1000, 1)} s`);
  const live = (
    await sql<{ id: number }>`SELECT id FROM loans WHERE status = 'ACTIVE' AND total_outstanding_paise > 100000 ORDER BY id`.execute(db)
  ).rows.map((row) => Number(row.id));

  // Floor 1: single-row INSERT commits/s, POOL clients in parallel.
  await sql`CREATE TABLE bench_floor (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v integer NOT NULL)`.execute(db);
  const insertStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: POOL }, async () => {
      while (next < REQUESTS) {
        next += 1;
        await pool.query('INSERT INTO bench_floor (v) VALUES ($1)', [next]);
      }
    }),
  );
  const insertFloor = REQUESTS / ((performance.now() - insertStart) / 1000);
  line(`floor: single-row INSERT commits/s (${POOL} clients): ${fmt(insertFloor)}`);

  // Floor 2: empty BullMQ jobs, added one by one, then processed with the workers' concurrency.
  const floorQueue = new Queue('bench-floor', { connection: redis, prefix });
  const addStart = performance.now();
  let added = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (added < PAYMENTS) {
        added += 1;
        await floorQueue.add('noop', { n: added }, { removeOnComplete: true });
      }
    }),
  );
  const addFloor = PAYMENTS / ((performance.now() - addStart) / 1000);
  let processed = 0;
  const processStart = performance.now();
  const floorWorker = new Worker('bench-floor', async () => {
    processed += 1;
  }, { connection: redis, prefix, concurrency: WORKER_CONCURRENCY });
  await pollUntil(async () => processed >= PAYMENTS, 600_000);
  const processFloor = PAYMENTS / ((performance.now() - processStart) / 1000);
  await floorWorker.close();
  await floorQueue.obliterate({ force: true });
  await floorQueue.close();
  line(`floor: empty BullMQ jobs added/s: ${fmt(addFloor)}, processed/s (1 worker, concurrency ${WORKER_CONCURRENCY}): ${fmt(processFloor)}`);

  // Intake: the API as its own process, CONCURRENCY requests in flight.
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    DATABASE_POOL_MAX: String(POOL),
    PAYMENTS_CONCURRENCY: String(WORKER_CONCURRENCY),
    PORT: String(port),
    HOST: '127.0.0.1',
    // The limits stay on (their Redis round trips are part of the cost) but out of reach.
    RATE_LIMIT_PER_ADDRESS: '10000000',
    RATE_LIMIT_PER_USER: '10000000',
  };
  // --api-node-args='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the API, say.
  const api = startProcess('apps/api/src/main.ts', [], env, values['api-node-args'].split(/\s+/).filter(Boolean));
  const base = `http://127.0.0.1:${port}`;
  await pollUntil(async () => {
    if (api.exitCode !== null) throw new Error(`the API exited with status ${api.exitCode} (its stderr is above)`);
    return (await fetch(`${base}/healthz`).catch(() => null))?.ok === true;
  }, 60_000, 200);
  const { signAccessToken } = await import('@loanops/auth');
  const { apiConfigSchema, parseEnv } = await import('@loanops/config');
  const token = await signAccessToken({ sub: 'bench', role: 'finance' }, parseEnv(apiConfigSchema, {}).JWT_SECRET, 3600);
  let sent = 0;
  const drive = (amount: number) =>
    autocannon({
      url: `${base}/v1/payments`,
      method: 'POST',
      connections: CONCURRENCY,
      amount,
      // The run ends on a sampling tick: a fine tick keeps the duration (and the rate) exact.
      sampleInt: 20,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => {
            sent += 1;
            return {
              ...request,
              body: JSON.stringify({
                utr: `BENCHI${String(sent).padStart(12, '0')}`,
                loanId: live[sent % live.length],
                amountPaise: 100 + (sent % 900),
                valueDate: today,
                mode: 'UPI',
              }),
            };
          },
        },
      ],
    });
  // A warm-up the figures leave out (JIT, pools, caches), then the measured run. The load
  // generator shares the two cores with the API, Postgres and Redis, so it costs the figures.
  await drive(Math.min(2_000, REQUESTS));
  const cpuBefore = await cpuUse(api.pid);
  const load = await drive(REQUESTS);
  const cpu = cpuShares(cpuBefore, await cpuUse(api.pid), load.duration);
  await stopProcess(api);
  const failures = load.non2xx + load.errors + load.timeouts;
  const intakeRate = load.requests.total / load.duration;
  const latency = { p50: load.latency.p50, p99: load.latency.p99 };

  // Posting: 1 worker drains what the intake left waiting, then 2 workers drain PAYMENTS more.
  const postingRuns: { workers: number; rate: number }[] = [];
  const paymentsQueue = new Queue('payments', { connection: redis, prefix });
  for (const workers of [1, 2]) {
    if (workers === 2) await enqueueMore(PAYMENTS);
    // Workers start on a paused queue, so their start-up is not timed; the clock runs from resume.
    await paymentsQueue.pause();
    const children = Array.from({ length: workers }, () =>
      startProcess('apps/worker/src/main.ts', ['--queues', 'payments'], { ...env, PAYMENT_SWEEP_AFTER_MS: '3600000' }),
    );
    await pollUntil(async () => (await paymentsQueue.getWorkersCount()) >= workers, 120_000, 200);
    const waitingBefore = await receivedCount();
    const started = performance.now();
    await paymentsQueue.resume();
    await pollUntil(async () => (await receivedCount()) === 0, 1_800_000, 100);
    const rate = waitingBefore / ((performance.now() - started) / 1000);
    await Promise.all(children.map(stopProcess));
    postingRuns.push({ workers, rate });
  }
  await paymentsQueue.close();
  const rejected = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM payment_intake WHERE status = 'REJECTED'`.execute(db)).rows[0]?.n;

  line();
  line('| figure | value | floor (same run) | ratio |');
  line('| --- | --- | --- | --- |');
  line(`| intake requests/s (${CONCURRENCY} in flight) | ${fmt(intakeRate)} | ${fmt(insertFloor)} INSERT commits/s | ${fmt(intakeRate / insertFloor, 2)} |`);
  line(`| intake latency p50 / p99 | ${fmt(latency.p50, 1)} / ${fmt(latency.p99, 1)} ms | | |`);
  if (cpu) {
    line(`| cores busy during intake: API / load generator / the rest (Postgres, Redis) | ${cpu.shares} | of ${os.cpus().length} | |`);
    line(`| API CPU per accepted request | ${fmt((cpu.apiSeconds / load.requests.total) * 1e6)} µs | | |`);
  }
  for (const run of postingRuns) {
    line(
      `| payments posted/s, ${run.workers} worker process${run.workers > 1 ? 'es' : ''} | ${fmt(run.rate)} | ${fmt(processFloor)} empty jobs/s | ${fmt(run.rate / processFloor, 2)} |`,
    );
  }
  line();
  line(`non-202 answers: ${failures}; rejected at posting: ${rejected ?? 0} (expected 0)`);
  line(`targets on a 2-core machine: intake >= 2,000 req/s with p99 <= 50 ms; posting >= 1,000/s with 2 workers`);

  async function cpuUse(apiPid: number | undefined) {
    return { api: await cpuSeconds(apiPid), self: await cpuSeconds(process.pid), machine: await machineBusySeconds() };
  }

  /** Cores each party kept busy between two readings, e.g. "0.95 / 0.31 / 0.62"; null off Linux. */
  function cpuShares(before: Awaited<ReturnType<typeof cpuUse>>, after: Awaited<ReturnType<typeof cpuUse>>, seconds: number) {
    if (before.api === null || before.self === null || before.machine === null) return null;
    if (after.api === null || after.self === null || after.machine === null) return null;
    const api = (after.api - before.api) / seconds;
    const self = (after.self - before.self) / seconds;
    const rest = (after.machine - before.machine) / seconds - api - self;
    return { shares: `${fmt(api, 2)} / ${fmt(self, 2)} / ${fmt(rest, 2)}`, apiSeconds: after.api - before.api };
  }

  async function receivedCount(): Promise<number> {
    const row = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payment_intake WHERE status = 'RECEIVED'`.execute(db);
    return row.rows[0]?.n ?? 0;
  }

  /** More accepted payments for the second posting run, written straight to the intake table. */
  async function enqueueMore(count: number): Promise<void> {
    const rows = await sql<{ id: string }>`
      INSERT INTO payment_intake (utr, loan_id, amount_paise, value_date, mode, received_by)
      SELECT 'BENCHP' || lpad(g::text, 12, '0'), (${live}::bigint[])[1 + g % ${live.length}], 100 + g % 900, ${today}::date, 'UPI', 'bench'
      FROM generate_series(1, ${count}) AS g
      RETURNING id`.execute(db);
    const queue = new Queue('payments', { connection: redis, prefix });
    for (let i = 0; i < rows.rows.length; i += 1000) {
      await queue.addBulk(
        rows.rows.slice(i, i + 1000).map((row) => ({ name: 'post-payment', data: { intakeId: row.id }, opts: { jobId: paymentJobId(row.id) } })),
      );
    }
    await queue.close();
  }
} finally {
  await close();
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await redis.quit();
  if (!values.keep) await dropDatabase(serverUrl, dbName);
}
