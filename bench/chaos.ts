import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { sealAuditChain, verifyAuditChain } from '@loanops/audit';
import { signAccessToken } from '@loanops/auth';
import { createDb, migrateToLatest } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, businessToday } from '@loanops/domain';
import { runIntegrityCheck } from '@loanops/integrity';
import { seedBook } from '@loanops/loan-book';
import { createQueues, type QueueName } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { startOwnPostgres, type OwnPostgres } from '../test/support/own-postgres.js';
import { freePort, startOwnRedis, type OwnRedis } from '../test/support/own-redis.js';
import { findViolations, type ProtectedEditAnswer } from './chaos/checks.js';
import { pickEditKind, pickPaymentKind, planFaults, seededRandom, tally, type FaultKind, type PlannedFault } from './chaos/plan.js';
import { fmt, freshDatabase } from './support.js';

/**
 * npm run chaos [-- --duration 240 | --short] [--seed 1] [--rate 20] [--loans 2000]
 *
 * The whole product as separate OS processes (the API, two payments workers, a dpd, an escalation
 * and an edits worker) on a Postgres and a Redis (append-only) of the run's own, driven with
 * payments (a few percent repeating an earlier UTR, a few percent invalid), loan edits (some
 * naming protected fields) and the day's DPD run, while workers are SIGKILLed every few seconds,
 * Redis is restarted once and emptied once and Postgres is restarted once. When the load stops and
 * everything has drained it checks that nothing accepted was lost or doubled (bench/chaos/checks.ts),
 * prints a summary and every violation, and exits 1 on any violation, 2 when the run itself failed.
 */
const USAGE = 'usage: npm run chaos -- [--duration SECONDS | --short] [--seed INT] [--rate PAYMENTS_PER_S] [--loans N]';
let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string' },
      short: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '20' },
      loans: { type: 'string', default: '2000' },
      'drain-timeout': { type: 'string', default: '240' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (error) {
  process.stderr.write(`chaos: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(64);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const wholeArg = (name: string, raw: unknown, min: number, max: number): number => {
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < min || value > max) {
    process.stderr.write(`chaos: --${name} must be a whole number between ${min} and ${max}\n${USAGE}\n`);
    process.exit(64);
  }
  return value;
};
if (values.short && values.duration !== undefined) {
  process.stderr.write(`chaos: give --duration or --short, not both\n${USAGE}\n`);
  process.exit(64);
}
const DURATION_S = values.short ? 60 : wholeArg('duration', values.duration ?? '240', 20, 3_600);
const SEED = wholeArg('seed', values.seed, 0, 2 ** 31 - 1);
const RATE = wholeArg('rate', values.rate, 1, 500);
const LOANS = wholeArg('loans', values.loans, 100, 200_000);
const DRAIN_TIMEOUT_MS = wholeArg('drain-timeout', values['drain-timeout'], 10, 3_600) * 1_000;
const KILL_EVERY_MS = 5_000;
const SHARES = { duplicate: 0.04, invalid: 0.04, overpay: 0.02 };
const EDITS_PER_S = 2;
const PROTECTED_EDIT_SHARE = 0.25;
const QUEUES: QueueName[] = ['payments', 'edits', 'dpd', 'escalation'];

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1_000).toFixed(1).padStart(6)} s`;
const say = (text: string) => process.stdout.write(`[${elapsed()}] ${text}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class HarnessError extends Error {}

// ---------------------------------------------------------------------------------------------
// Clean-up on every way out: children, the servers, the temporary directories.
const cleanups: { what: string; run: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (error) {
        process.stderr.write(`chaos: clean-up step "${step.what}" failed: ${String(error)}\n`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nchaos: ${signal}, cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// The product's processes, each restarted when it exits unless the run is stopping.
const workDir = mkdtempSync(path.join(os.tmpdir(), 'loanops-chaos-'));
cleanups.push({ what: 'remove the work directory', run: () => rmSync(workDir, { recursive: true, force: true }) });

class Supervised {
  child: ChildProcess | null = null;
  stopping = false;
  starts = 0;
  unexpectedExits = 0;
  private exited: Promise<void> = Promise.resolve();
  private readonly logFile: string;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {
    this.logFile = path.join(workDir, `${name}.log`);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', this.script, ...this.args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.starts += 1;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (this.stopping || this.child !== child) return;
        if (signal !== 'SIGKILL') {
          this.unexpectedExits += 1;
          say(`${this.name} exited by itself (${signal ?? `code ${code}`}); starting it again. Its last lines:\n${this.tail(40)}`);
        }
        setTimeout(() => {
          if (!this.stopping && this.child === child) this.start();
        }, signal === 'SIGKILL' ? 500 : 2_000).unref();
      }),
    );
  }

  /** SIGKILL: the supervisor starts it again half a second later. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Counters for the summary.
const counts = {
  payments: new Map<string, number>(),
  edits: new Map<string, number>(),
  faults: new Map<string, number>(),
};
const faultKinds = new Map<string, number>();
const accepted: string[] = [];
const invalidAccepted: string[] = [];
const acceptedEdits: string[] = [];
const protectedEdits: ProtectedEditAnswer[] = [];
const sentUtrs: { utr: string; loanId: number; amountPaise: number }[] = [];
let violations: string[] = [];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(url: string, token: string, method: string, body: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}
const errorCode = (answer: Answer): string | null => {
  const error = answer.body.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? error.code : null;
};
/**
 * As a bank-side client would: a 503 or no answer is sent again, the same body, after 1, 2, 4, 8,
 * 15 and 30 s (a minute in all: the API restarting on a busy machine takes tens of seconds).
 * `resent` says whether the answer came to a request sent again.
 */
async function callWithRetries(
  url: string,
  token: string,
  method: string,
  body: unknown,
  counts: Map<string, number>,
): Promise<Answer & { resent: boolean }> {
  let resent = false;
  for (const wait of [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, null]) {
    let answer: Answer | null = null;
    try {
      answer = await call(url, token, method, body);
    } catch (error) {
      if (wait === null) throw error;
    }
    if (answer && (answer.status !== 503 || wait === null)) return { ...answer, resent };
    tally(counts, 'sent again after a 503 or no answer');
    resent = true;
    await sleep(wait as number);
  }
  throw new Error('unreachable');
}
const outcomeKey = (answer: Answer) => (answer.status === 202 ? '202 accepted' : `${answer.status} ${errorCode(answer) ?? ''}`.trim());

let exitCode = 0;

try {
  say(`chaos run: ${DURATION_S} s of load at ${RATE} payments/s and ${EDITS_PER_S} edits/s on ${LOANS} loans, seed ${SEED}, ${os.cpus().length} cores`);
  const pg: OwnPostgres = await startOwnPostgres();
  const ownPg = pg;
  cleanups.push({ what: 'stop Postgres', run: () => ownPg.destroy() });
  const redisServer: OwnRedis = await startOwnRedis({ appendOnly: true });
  const ownRedis = redisServer;
  cleanups.push({ what: 'stop Redis', run: () => ownRedis.destroy() });
  say(`Postgres on ${pg.port}, Redis (append-only) on ${redisServer.port}`);

  const databaseUrl = await freshDatabase(pg.url, 'loanops');
  const { db, pool, close } = createDb({ databaseUrl, poolMax: 4, applicationName: 'chaos' });
  cleanups.push({ what: 'close the database pool', run: close });
  await migrateToLatest(db);
  const today = businessToday();
  const seeded = await seedBook(pool, { loans: LOANS, seed: SEED, today, bucketTable: DEFAULT_BUCKET_TABLE });
  const live = (
    await sql<{ id: string; outstanding: string }>`
      SELECT id, total_outstanding_paise AS outstanding FROM loans WHERE status = 'ACTIVE' AND total_outstanding_paise > 100000 ORDER BY id`.execute(db)
  ).rows.map((row) => ({ id: Number(row.id), outstanding: Number(row.outstanding) }));
  const smallest = [...live].sort((a, b) => a.outstanding - b.outstanding).slice(0, 20);
  if (live.length < 50) throw new HarnessError(`the seeded book has only ${live.length} active loans to pay`);
  say(`seeded ${fmt(seeded.loans)} loans (${live.length} active with something to pay) for ${today}`);

  // The processes.
  const jwtSecret = randomBytes(32).toString('hex');
  const prefix = `chaos${process.pid}`;
  const apiPort = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: prefix,
    JWT_SECRET: jwtSecret,
    DATABASE_POOL_MAX: '6',
    CRON_ENABLED: 'false',
    DB_PROBE_INTERVAL_MS: '1000',
    SHUTDOWN_TIMEOUT_MS: '15000',
    QUEUE_CONTROL_SYNC_MS: '2000',
    PAYMENTS_CONCURRENCY: '32',
    WORKER_LOCK_DURATION_MS: '5000',
    PAYMENT_SWEEP_AFTER_MS: '5000',
    PAYMENT_SWEEP_INTERVAL_MS: '2000',
    ALERT_THROTTLE_MS: '60000',
    // Small chunks, so the day's DPD run is many jobs that worker kills and restarts land among.
    DPD_CHUNK_BORROWERS: String(Math.max(20, Math.ceil(LOANS / 40))),
  };
  const api = new Supervised('api', 'apps/api/src/main.ts', [], { ...env, HOST: '127.0.0.1', PORT: String(apiPort) });
  const workers = [
    new Supervised('payments-1', 'apps/worker/src/main.ts', ['--queues', 'payments'], env),
    new Supervised('payments-2', 'apps/worker/src/main.ts', ['--queues', 'payments'], env),
    new Supervised('dpd', 'apps/worker/src/main.ts', ['--queues', 'dpd'], env),
    new Supervised('escalation', 'apps/worker/src/main.ts', ['--queues', 'escalation'], env),
    new Supervised('edits', 'apps/worker/src/main.ts', ['--queues', 'edits'], env),
  ];
  const everyProcess = [api, ...workers];
  const dpdWorker = workers.find((worker) => worker.name === 'dpd') as Supervised;
  cleanups.push({
    what: 'stop the product processes',
    run: async () => {
      await Promise.all(everyProcess.map((proc) => proc.stop(5_000)));
    },
  });
  const printLogs = () => {
    for (const proc of everyProcess) {
      const tail = proc.tail();
      if (tail) process.stderr.write(`--- last lines of ${proc.name} ---\n${tail}\n`);
    }
  };
  for (const proc of everyProcess) proc.start();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const readyBy = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${apiUrl}/readyz`).then((response) => response.status === 200, () => false);
    if (ready) break;
    if (Date.now() > readyBy) {
      printLogs();
      throw new HarnessError('the API did not answer /readyz within 60 s');
    }
    await sleep(200);
  }
  const tokens = {
    finance: await signAccessToken({ sub: 'chaos-finance', role: 'finance' }, jwtSecret, 3_600 * 4),
    ops: await signAccessToken({ sub: 'chaos-ops', role: 'ops' }, jwtSecret, 3_600 * 4),
    admin: await signAccessToken({ sub: 'chaos-admin', role: 'admin' }, jwtSecret, 3_600 * 4),
  };
  say('the API answers; workers starting');

  // ---------------------------------------------------------------------------------------------
  // Load: payments and edits at a steady rate, each request on its own (at most 128 in flight).
  const random = seededRandom(SEED);
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    inFlight += 1;
    const tracked = work.finally(() => {
      inFlight -= 1;
      pending.delete(tracked);
    });
    pending.add(tracked);
  };
  let paymentSeq = 0;
  const invalidBodies = [
    (loanId: number) => ({ utr: 'BAD', loanId, amountPaise: 1_000, valueDate: today, mode: 'UPI' }),
    (loanId: number) => ({ utr: `CHX${String(paymentSeq).padStart(12, '0')}`, loanId, amountPaise: 0, valueDate: today, mode: 'UPI' }),
    () => ({ utr: `CHX${String(paymentSeq).padStart(12, '0')}`, loanId: 987_654_321, amountPaise: 1_000, valueDate: today, mode: 'NEFT' }),
    (loanId: number) => ({ utr: `CHX${String(paymentSeq).padStart(12, '0')}`, loanId, amountPaise: 1_000, valueDate: '2099-01-01', mode: 'IMPS' }),
    (loanId: number) => ({ utr: `CHX${String(paymentSeq).padStart(12, '0')}`, loanId, amountPaise: 1_000, valueDate: today, mode: 'BARTER' }),
  ];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  function sendPayment(): void {
    paymentSeq += 1;
    const kind = pickPaymentKind(random, SHARES, sentUtrs.length);
    let body: Record<string, unknown>;
    let label: string = kind;
    if (kind === 'invalid') {
      body = pick(invalidBodies)(pick(live).id);
    } else if (kind === 'duplicate') {
      body = { ...pick(sentUtrs), valueDate: today, mode: 'UPI' };
    } else if (random() < SHARES.overpay / (1 - SHARES.duplicate - SHARES.invalid)) {
      // Two payments at once of nearly everything a small loan owes: both pass the intake, the
      // first posts and the second is rejected OVERPAYMENT when it is posted.
      const loan = pick(smallest);
      const twin = { utr: `CHT${String(paymentSeq).padStart(12, '0')}`, loanId: loan.id, amountPaise: loan.outstanding - 500, valueDate: today, mode: 'RTGS' };
      sentUtrs.push({ utr: twin.utr, loanId: loan.id, amountPaise: twin.amountPaise });
      body = { ...twin, utr: `CHO${String(paymentSeq).padStart(12, '0')}` };
      sentUtrs.push({ utr: body.utr as string, loanId: loan.id, amountPaise: body.amountPaise as number });
      label = 'near-full pair';
      tally(counts.payments, 'driven');
      send(twin, 'fresh');
    } else {
      const loan = pick(live);
      body = { utr: `CHP${String(paymentSeq).padStart(12, '0')}`, loanId: loan.id, amountPaise: 100 + Math.floor(random() * 50_000), valueDate: today, mode: pick(['UPI', 'IMPS', 'NEFT']) };
      sentUtrs.push({ utr: body.utr as string, loanId: loan.id, amountPaise: body.amountPaise as number });
    }
    tally(counts.payments, 'driven');
    tally(counts.payments, `kind ${label}`);
    send(body, kind);
  }
  function send(body: Record<string, unknown>, kind: string): void {
    track(
      callWithRetries(`${apiUrl}/v1/payments`, tokens.finance, 'POST', body, counts.payments).then(
        (answer) => {
          tally(counts.payments, `answer ${outcomeKey(answer)}`);
          // Stored by an API that died (or lost Postgres) before it answered: the resend finds it.
          if (answer.resent && kind !== 'duplicate' && errorCode(answer) === 'DUPLICATE_UTR') {
            tally(counts.payments, 'stored before the answer was lost (409 to the resend)');
          }
          if (answer.status === 202) {
            const intakeId = String(answer.body.intakeId);
            accepted.push(intakeId);
            if (kind === 'invalid') invalidAccepted.push(`${intakeId} ${JSON.stringify(body)}`);
          }
        },
        (error: unknown) => tally(counts.payments, `answer none (${(error as Error).name})`),
      ),
    );
  }

  let editSeq = 0;
  const protectedBodies = [
    () => ({ notes: 'adjust', principalPaise: 1 }),
    () => ({ dpd: 0 }),
    () => ({ borrower: { phone: '+919800000000', Outstanding_Paise: 0 } }),
    () => ({ tags: ['x'], status: 'CLOSED' }),
    () => ({ interestRateBps: 0 }),
  ];
  function sendEdit(): void {
    editSeq += 1;
    const loanId = pick(live).id;
    const kind = pickEditKind(random, PROTECTED_EDIT_SHARE);
    const body = kind === 'protected' ? pick(protectedBodies)() : { notes: `chaos note ${editSeq}` };
    tally(counts.edits, `driven ${kind}`);
    track(
      callWithRetries(`${apiUrl}/v1/loans/${loanId}`, tokens.ops, 'PATCH', body, counts.edits).then(
        (answer) => {
          tally(counts.edits, `${kind} answer ${outcomeKey(answer)}`);
          if (kind === 'protected') {
            const requestId = typeof answer.body.requestId === 'string' ? answer.body.requestId : null;
            protectedEdits.push({ loanId, status: answer.status, code: errorCode(answer), requestId });
          } else if (answer.status === 202) {
            acceptedEdits.push(String(answer.body.editId));
          }
        },
        (error: unknown) => {
          tally(counts.edits, `${kind} answer none (${(error as Error).name})`);
          if (kind === 'protected') protectedEdits.push({ loanId, status: 0, code: null, requestId: null });
        },
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Faults, on the plan's schedule.
  const plan = planFaults({ durationMs: DURATION_S * 1_000, killEveryMs: KILL_EVERY_MS, random: seededRandom(SEED + 1) });
  const faultRandom = seededRandom(SEED + 2);
  let dpdRunId: number | null = null;
  async function triggerDpdRun(): Promise<void> {
    const answer = await call(`${apiUrl}/v1/admin/dpd-runs`, tokens.admin, 'POST', {});
    if (answer.status === 202) {
      dpdRunId = Number(answer.body.id);
      say(`DPD run ${dpdRunId} for ${today} started (${String(answer.body.chunksTotal)} chunks); the dpd worker is SIGKILLed in 300 ms`);
      setTimeout(() => {
        dpdWorker.kill();
        tally(counts.faults, 'SIGKILL dpd (in its run)');
        tally(faultKinds, 'kill-worker');
      }, 300).unref();
      const again = await call(`${apiUrl}/v1/admin/dpd-runs`, tokens.admin, 'POST', {});
      tally(counts.faults, `dpd-run second start answered ${outcomeKey(again)}`);
      if (again.status !== 409) violations.push(`a second start of the day's DPD run answered ${outcomeKey(again)}, not 409`);
    } else {
      say(`starting the DPD run answered ${outcomeKey(answer)}`);
      tally(counts.faults, `dpd-run start answered ${outcomeKey(answer)}`);
    }
  }
  async function inject(fault: PlannedFault): Promise<void> {
    const kind: FaultKind = fault.kind;
    switch (kind) {
      case 'kill-worker': {
        const running = workers.filter((worker) => worker.running);
        if (running.length === 0) return;
        const victim = running[Math.floor(faultRandom() * running.length)] as Supervised;
        victim.kill();
        tally(counts.faults, `SIGKILL ${victim.name}`);
        tally(faultKinds, kind);
        return;
      }
      case 'kill-api':
        say('API: SIGKILL; it is started again on the same port');
        api.kill();
        break;
      case 'redis-restart':
        say('Redis: SIGKILL, then start again on its append-only file');
        await ownRedis.stop();
        await ownRedis.start();
        say('Redis is back');
        break;
      case 'redis-flush':
        say('Redis: FLUSHALL');
        await ownRedis.flushAll();
        break;
      case 'postgres-restart':
        say('Postgres: pg_ctl restart -m fast');
        await ownPg.restart();
        say('Postgres is back');
        break;
      case 'dpd-run':
        await triggerDpdRun();
        break;
    }
    tally(faultKinds, kind);
  }
  say(`load starts; ${plan.length} faults planned`);
  const loadStart = Date.now();
  const loadEndsAt = loadStart + DURATION_S * 1_000;
  let faultError: unknown = null;
  const faults = (async () => {
    for (const fault of plan) {
      const wait = loadStart + fault.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      await inject(fault);
    }
  })().catch((error: unknown) => {
    faultError = error;
  });

  const paymentEveryMs = 1_000 / RATE;
  const editEveryMs = 1_000 / EDITS_PER_S;
  let paymentsSent = 0;
  let editsSent = 0;
  let lastReport = Date.now();
  while (Date.now() < loadEndsAt) {
    const since = Date.now() - loadStart;
    while (paymentsSent < since / paymentEveryMs && inFlight < 128) {
      paymentsSent += 1;
      sendPayment();
    }
    while (editsSent < since / editEveryMs && inFlight < 128) {
      editsSent += 1;
      sendEdit();
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      say(`driven ${counts.payments.get('driven') ?? 0} payments (${accepted.length} accepted), ${editSeq} edits, ${inFlight} in flight`);
    }
    await sleep(Math.min(paymentEveryMs, 20));
  }
  await faults;
  await Promise.all([...pending]);
  if (faultError) throw new HarnessError(`injecting a fault failed: ${String(faultError)}`);
  say(`load stopped: ${counts.payments.get('driven') ?? 0} payments driven, ${accepted.length} accepted; draining`);

  // ---------------------------------------------------------------------------------------------
  // Drain: every intake and edit processed, the DPD run ended, the queues empty.
  const probeRedis = createRedis(ownRedis.url);
  const queues = createQueues(probeRedis, prefix);
  cleanups.push({
    what: 'close the queue probes',
    run: async () => {
      await queues.close();
      probeRedis.disconnect();
    },
  });
  const drainBy = Date.now() + DRAIN_TIMEOUT_MS;
  let dpdRestarts = 0;
  let lastDrainReport = 0;
  for (;;) {
    const left = (
      await sql<{ intakes: number; edits: number; running: number; failed: number; succeeded: number }>`
        SELECT (SELECT count(*)::int FROM payment_intake WHERE status = 'RECEIVED') AS intakes,
               (SELECT count(*)::int FROM loan_edits WHERE status = 'RECEIVED') AS edits,
               (SELECT count(*)::int FROM job_runs WHERE kind = 'DPD' AND business_date = ${today} AND status = 'RUNNING') AS running,
               (SELECT count(*)::int FROM job_runs WHERE kind = 'DPD' AND business_date = ${today} AND status = 'FAILED') AS failed,
               (SELECT count(*)::int FROM job_runs WHERE kind = 'DPD' AND business_date = ${today} AND status = 'SUCCEEDED') AS succeeded`.execute(db)
    ).rows[0] as { intakes: number; edits: number; running: number; failed: number; succeeded: number };
    let queued = 0;
    for (const name of QUEUES) {
      const jobCounts = await queues.get(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      queued += Object.values(jobCounts).reduce((sum, n) => sum + n, 0);
    }
    // A run the stale-run sweeper failed (its jobs were lost with Redis) is started again, as ops would.
    if (left.running === 0 && left.succeeded === 0 && left.failed > dpdRestarts) {
      dpdRestarts += 1;
      tally(counts.faults, 'dpd-run started again after it FAILED');
      await triggerDpdRun();
      continue;
    }
    if (left.intakes === 0 && left.edits === 0 && left.running === 0 && queued === 0 && (left.succeeded > 0 || dpdRunId === null)) break;
    if (Date.now() > drainBy) {
      printLogs();
      throw new HarnessError(
        `not drained after ${DRAIN_TIMEOUT_MS / 1_000} s: ${left.intakes} intakes and ${left.edits} edits RECEIVED, ${left.running} DPD runs RUNNING, ${queued} jobs queued`,
      );
    }
    if (Date.now() - lastDrainReport >= 10_000) {
      lastDrainReport = Date.now();
      say(`draining: ${left.intakes} intakes and ${left.edits} edits RECEIVED, DPD running ${left.running}, ${queued} jobs queued`);
    }
    await sleep(500);
  }
  say('drained; stopping the processes');
  await Promise.all(everyProcess.map((proc) => proc.stop()));
  const unexpected = everyProcess.filter((proc) => proc.unexpectedExits > 0);
  for (const proc of unexpected) tally(counts.faults, `${proc.name} exited by itself (restarted)`, proc.unexpectedExits);

  // ---------------------------------------------------------------------------------------------
  // The checks.
  const intakes = (
    await sql<{ id: string; utr: string; status: string; reject_code: string | null; payment_id: string | null }>`
      SELECT id, utr, status, reject_code, payment_id FROM payment_intake`.execute(db)
  ).rows.map((row) => ({ id: row.id, utr: row.utr, status: row.status, rejectCode: row.reject_code, paymentId: row.payment_id === null ? null : Number(row.payment_id) }));
  const payments = (await sql<{ id: string; intake_id: string; utr: string }>`SELECT id, intake_id, utr FROM payments`.execute(db)).rows.map(
    (row) => ({ id: Number(row.id), intakeId: row.intake_id, utr: row.utr }),
  );
  const edits = (await sql<{ id: string; status: string }>`SELECT id, status FROM loan_edits`.execute(db)).rows;
  const guardAudits = (
    await sql<{ request_id: string | null }>`SELECT request_id FROM audit_log WHERE action = 'FINANCIAL_GUARD_TRIGGERED'`.execute(db)
  ).rows.flatMap((row) => (row.request_id ? [row.request_id] : []));
  const dpdRuns = (
    await sql<{ id: string; status: string; seconds: number | null; chunks: number | null }>`
      SELECT id, status, extract(epoch FROM finished_at - started_at)::float8 AS seconds, chunks_total AS chunks
      FROM job_runs WHERE kind = 'DPD' AND business_date = ${today} ORDER BY id`.execute(db)
  ).rows.map((row) => ({ id: Number(row.id), status: row.status, seconds: row.seconds, chunks: row.chunks }));
  const integrity = await runIntegrityCheck(db, { trigger: 'MANUAL', actor: { type: 'system', id: 'chaos' }, bucketTable: DEFAULT_BUCKET_TABLE });
  for (let sealed = -1; sealed !== 0; ) sealed = await sealAuditChain(db);
  const chain = await verifyAuditChain(db);
  violations = [
    ...violations,
    ...findViolations({
      accepted,
      invalidAccepted,
      intakes,
      payments,
      acceptedEdits,
      edits,
      protectedEdits,
      guardAuditRequestIds: new Set(guardAudits),
      dpdRuns,
      integrity: {
        clean: integrity.run.status === 'CLEAN',
        findings: integrity.findings.map((finding) => `${finding.check} ${finding.table} ${finding.rowId}: ${finding.message}`),
      },
      auditChain: { ok: chain.ok, problem: chain.problem?.message ?? null },
    }),
  ];

  // ---------------------------------------------------------------------------------------------
  // The summary.
  const rejectedByCode = new Map<string, number>();
  for (const row of intakes) if (row.status === 'REJECTED') tally(rejectedByCode, row.rejectCode ?? '(none)');
  const rows: [string, string][] = [
    ['load', `${DURATION_S} s at ${RATE} payments/s, ${EDITS_PER_S} edits/s, seed ${SEED}, ${LOANS} loans`],
    ['payments driven', fmt(counts.payments.get('driven') ?? 0)],
    ...[...counts.payments].filter(([key]) => key.startsWith('kind ')).map(([key, n]): [string, string] => [`  ${key.slice(5)}`, fmt(n)]),
    ...[...counts.payments].filter(([key]) => key.startsWith('answer ')).sort().map(([key, n]): [string, string] => [`  answered ${key.slice(7)}`, fmt(n)]),
    ['  sent again after a 503 or no answer', fmt(counts.payments.get('sent again after a 503 or no answer') ?? 0)],
    ['  stored before the answer was lost', fmt(counts.payments.get('stored before the answer was lost (409 to the resend)') ?? 0)],
    ['accepted (202)', fmt(accepted.length)],
    ['posted', fmt(intakes.filter((row) => row.status === 'POSTED').length)],
    ['rejected at posting', fmt(intakes.filter((row) => row.status === 'REJECTED').length)],
    ...[...rejectedByCode].sort().map(([code, n]): [string, string] => [`  ${code}`, fmt(n)]),
    ['payments rows', fmt(payments.length)],
    ['duplicates refused at intake', fmt(counts.payments.get('answer 409 DUPLICATE_UTR') ?? 0)],
    ['invalid refused', fmt([...counts.payments].filter(([key]) => /^answer (400|422)/.test(key) && key !== 'answer 422 OVERPAYMENT').reduce((sum, [, n]) => sum + n, 0))],
    ['edits driven', fmt(editSeq)],
    ...[...counts.edits].filter(([key]) => !key.startsWith('driven')).sort().map(([key, n]): [string, string] => [`  ${key}`, fmt(n)]),
    ['  plain edits APPLIED', fmt(edits.filter((row) => row.status === 'APPLIED').length)],
    ['  guard refusals audited', fmt(protectedEdits.filter((edit) => edit.requestId && guardAudits.includes(edit.requestId)).length)],
    [
      'DPD runs for the day',
      dpdRuns.map((run) => `${run.id} ${run.status} (${run.chunks ?? '?'} chunks, ${run.seconds === null ? '—' : `${run.seconds.toFixed(1)} s`})`).join(', ') || 'none',
    ],
    ['faults injected', fmt([...faultKinds.values()].reduce((sum, n) => sum + n, 0))],
    ...[...faultKinds].map(([key, n]): [string, string] => [`  ${key}`, fmt(n)]),
    ['fault details', ''],
    ...[...counts.faults].sort().map(([key, n]): [string, string] => [`  ${key}`, fmt(n)]),
    ['process starts', everyProcess.map((proc) => `${proc.name} ${proc.starts}`).join(', ')],
    ['integrity check', integrity.run.status === 'CLEAN' ? 'clean' : `${integrity.run.findingsTotal} wrong rows`],
    ['audit chain', chain.ok ? `verifies (${fmt(chain.checked)} entries)` : `BROKEN: ${chain.problem?.message ?? ''}`],
    ['violations', String(violations.length)],
    ['wall time', `${((Date.now() - started) / 1_000).toFixed(0)} s`],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  process.stdout.write(`\n${rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n')}\n`);
  if (violations.length > 0) {
    process.stdout.write(`\nVIOLATIONS:\n${violations.map((line) => `  - ${line}`).join('\n')}\n`);
    exitCode = 1;
  } else {
    process.stdout.write('\nno violations: every accepted payment posted or rejected exactly once\n');
  }
} catch (error) {
  process.stderr.write(`chaos: the run itself failed: ${error instanceof HarnessError ? error.message : String((error as Error).stack ?? error)}\n`);
  exitCode = 2;
} finally {
  await cleanUp();
}
process.exit(exitCode);
