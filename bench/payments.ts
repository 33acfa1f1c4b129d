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
 * npm run bench:payments [-- --loans 100000 --requests 10000 --concurrency 32,48,64 --rounds 3 --payments 20000 --worker-concurrency 64 --api-node-args='…']
 *
 * On a seeded book: intake requests/s with p50/p99 latency (the API as its own process, driven
 * over HTTP by autocannon) at each --concurrency, in --rounds rounds of --requests each (the
 * median round is reported: this machine's speed drifts between runs); then payments posted/s
 * with 1 and 2 worker processes. Each figure is printed next to a floor measured in the same run
 * on the same machine: single-row INSERT commits/s over a pool of the same size (measured again
 * just before each intake round), and empty BullMQ jobs added and processed/s.
 */
const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32,48,64' },
    rounds: { type: 'string', default: '3' },
    payments: { type: 'string', default: '20000' },
    'worker-concurrency': { type: 'string', default: '64' },
    keep: { type: 'boolean', default: false },
    'api-node-args': { type: 'string', default: '' },
  },
});
const LOANS = Number(values.loans);
const REQUESTS = Number(values.requests);
const LEVELS = values.concurrency.split(',').map(Number);
const CONCURRENCY = Math.max(...LEVELS);
const ROUNDS = Number(values.rounds);
const PAYMENTS = Number(values.payments);
const WORKER_CONCURRENCY = Number(values['worker-concurrency']);
const refuse = (message: string): never => {
  process.stderr.write(`bench:payments: ${message}\n`);
  process.exit(2);
};
for (const [name, value] of Object.entries({ loans: LOANS, requests: REQUESTS, rounds: ROUNDS, payments: PAYMENTS, 'worker-concurrency': WORKER_CONCURRENCY })) {
  if (!Number.isInteger(value) || value < 1) refuse(`--${name} must be a positive whole number`);
}
if (LEVELS.some((level) => !Number.isInteger(level) || level < 1)) refuse('--concurrency must be positive whole numbers, comma-separated (32,64)');
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
  const insertFloorRate = async (count: number) => {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: POOL }, async () => {
        while (next < count) {
          next += 1;
          await pool.query('INSERT INTO bench_floor (v) VALUES ($1)', [next]);
        }
      }),
    );
    return count / ((performance.now() - started) / 1000);
  };
  const insertFloor = await insertFloorRate(REQUESTS);
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

  // Intake: the API as its own process, driven at each level of requests in flight.
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
  const drive = (connections: number, amount: number) =>
    autocannon({
      url: `${base}/v1/payments`,
      method: 'POST',
      connections,
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
  // A warm-up the figures leave out (JIT, pools, caches), then the measured rounds. The load
  // generator shares the two cores with the API, Postgres and Redis, so it costs the figures.
  await drive(CONCURRENCY, Math.min(2_000, REQUESTS));
  type Round = { connections: number; rate: number; p50: number; p99: number; floor: number; cpu: ReturnType<typeof cpuShares>; failures: number };
  const rounds: Round[] = [];
  for (const connections of LEVELS) {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const floor = await insertFloorRate(Math.min(4_000, REQUESTS));
      const cpuBefore = await cpuUse(api.pid);
      const load = await drive(connections, REQUESTS);
      const cpu = cpuShares(cpuBefore, await cpuUse(api.pid), load.duration, load.requests.total);
      const result = {
        connections,
        rate: load.requests.total / load.duration,
        p50: load.latency.p50,
        p99: load.latency.p99,
        floor,
        cpu,
        failures: load.non2xx + load.errors + load.timeouts,
      };
      rounds.push(result);
      line(
        `intake, ${connections} in flight, round ${round}: ${fmt(result.rate)} requests/s, p50 / p99 ${fmt(result.p50, 1)} / ${fmt(result.p99, 1)} ms` +
          ` (INSERT floor just before: ${fmt(floor)} commits/s)${cpu ? `, cores API / load generator / rest ${cpu.shares}, API CPU ${fmt(cpu.apiMicrosPerRequest)} µs a request` : ''}`,
      );
    }
  }
  await stopProcess(api);
  const failures = rounds.reduce((sum, round) => sum + round.failures, 0);
  /** The round with the median rate at each level (the lower middle for an even count). */
  const medians = LEVELS.map((connections) => {
    const at = rounds.filter((round) => round.connections === connections).sort((a, b) => a.rate - b.rate);
    return { median: at[Math.floor((at.length - 1) / 2)] as Round, low: at[0] as Round, high: at[at.length - 1] as Round };
  });

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
  for (const { median, low, high } of medians) {
    line(
      `| intake requests/s, ${median.connections} in flight (median of ${ROUNDS}; range ${fmt(low.rate)}–${fmt(high.rate)}) | ${fmt(median.rate)} | ${fmt(median.floor)} INSERT commits/s | ${fmt(median.rate / median.floor, 2)} |`,
    );
    line(`| intake latency p50 / p99, that round | ${fmt(median.p50, 1)} / ${fmt(median.p99, 1)} ms | | |`);
    if (median.cpu) {
      line(`| cores busy: API / load generator / the rest (Postgres, Redis), that round | ${median.cpu.shares} | of ${os.cpus().length} | |`);
      line(`| API CPU per accepted request, that round | ${fmt(median.cpu.apiMicrosPerRequest)} µs | | |`);
    }
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

  /** Cores each party kept busy between two readings ("0.95 / 0.31 / 0.62") and the API's CPU a request; null off Linux. */
  function cpuShares(before: Awaited<ReturnType<typeof cpuUse>>, after: Awaited<ReturnType<typeof cpuUse>>, seconds: number, requests: number) {
    if (before.api === null || before.self === null || before.machine === null) return null;
    if (after.api === null || after.self === null || after.machine === null) return null;
    const api = (after.api - before.api) / seconds;
    const self = (after.self - before.self) / seconds;
    const rest = (after.machine - before.machine) / seconds - api - self;
    return { shares: `${fmt(api, 2)} / ${fmt(self, 2)} / ${fmt(rest, 2)}`, apiMicrosPerRequest: ((after.api - before.api) / requests) * 1e6 };
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
