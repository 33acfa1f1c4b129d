import type { Server } from 'node:http';
import { apiConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, isSchemaCurrent, postgresProblem } from '@loanops/db';
import { createAlerter, createMetrics, logSink, startConnectionProbe, webhookSink } from '@loanops/observability';
import { startQueueControlSync } from '@loanops/operations';
import { createQueues } from '@loanops/queues';
import { sql } from 'kysely';
import { closeServerGracefully, createLogger, createRedis, onShutdownSignal, redisProblem } from '@loanops/runtime';
import { createApp } from './app.js';

const config = loadConfigOrExit(apiConfigSchema);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'loanops-api' });

for (const problem of [await postgresProblem(config.DATABASE_URL), await redisProblem(config.REDIS_URL)]) {
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(69);
  }
}
const { db, close } = createDb({
  databaseUrl: config.DATABASE_URL,
  poolMax: config.DATABASE_POOL_MAX,
  applicationName: 'loanops-api',
  statementTimeoutMs: 15_000,
});
if (!(await isSchemaCurrent(db))) {
  process.stderr.write('The database schema is behind this build; run `npm run migrate` first.\n');
  await close();
  process.exit(69);
}

// Producers fail fast when Redis is away instead of queueing commands: an accepted payment is
// already in Postgres and the sweeper enqueues it once Redis is back.
const redis = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
// Rate-limit and sign-in counters and console sessions have a connection of their own, auto-
// pipelined: the counts of one turn of the event loop go out in one write. (Not the producers'
// connection: ioredis copies a connection's Lua scripts, BullMQ's dozens, into every pipeline.)
const counters = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
const queues = createQueues(redis, config.QUEUE_PREFIX);
const metrics = createMetrics({ defaultMetrics: true });
const alerter = createAlerter({
  sinks: [logSink(logger), ...(config.ALERT_WEBHOOK_URL ? [webhookSink(config.ALERT_WEBHOOK_URL)] : [])],
  logger,
  throttleMs: config.ALERT_THROTTLE_MS,
});
let shuttingDown = false;
const app = createApp({
  db,
  metricsToken: config.METRICS_TOKEN,
  shuttingDown: () => shuttingDown,
  queues,
  redis: counters,
  metrics,
  alerter,
  signIn: {
    tokenTtlSeconds: config.TOKEN_TTL_MINUTES * 60,
    windowSeconds: config.SIGNIN_WINDOW_MINUTES * 60,
    slowAfter: config.SIGNIN_SLOW_AFTER,
    lockAfter: { account: config.SIGNIN_LOCK_AFTER, address: config.SIGNIN_LOCK_AFTER_ADDRESS },
    keyPrefix: config.QUEUE_PREFIX,
  },
  rateLimits: {
    perAddressPerMinute: config.RATE_LIMIT_PER_ADDRESS,
    perUserPerMinute: config.RATE_LIMIT_PER_USER,
    keyPrefix: config.QUEUE_PREFIX,
  },
  unauthorizedBurstPerMinute: config.UNAUTHORIZED_BURST_PER_MINUTE,
  logger,
  jwtSecret: config.JWT_SECRET,
  corsOrigin: config.CORS_ORIGIN,
  bodyLimit: config.BODY_LIMIT,
  bucketTable: config.BUCKET_TABLE,
  loansPageMax: config.LOANS_PAGE_MAX,
  intakeBatch: { max: config.INTAKE_BATCH_MAX, waitMs: config.INTAKE_BATCH_WAIT_MS },
  dpdChunkBorrowers: config.DPD_CHUNK_BORROWERS,
  featureFlags: {
    CRON_ENABLED: config.CRON_ENABLED,
    ESCALATION_ENABLED: config.ESCALATION_ENABLED,
    SCORING_ENABLED: config.SCORING_ENABLED,
    REMINDERS_ENABLED: config.REMINDERS_ENABLED,
  },
  queueConsole: {
    sessionTtlSeconds: config.CONSOLE_SESSION_MINUTES * 60,
    secureCookie: config.NODE_ENV === 'production',
    ...(config.CONSOLE_ORIGIN ? { origin: config.CONSOLE_ORIGIN } : {}),
  },
});
// The queue kill switches recorded in Postgres, applied to Redis now and kept applied.
const queueControls = startQueueControlSync({ db, queues, intervalMs: config.QUEUE_CONTROL_SYNC_MS, logger });
const server: Server = app.listen(config.PORT, config.HOST, () => {
  logger.info({ port: config.PORT, host: config.HOST }, 'api listening');
});
server.on('error', (error: NodeJS.ErrnoException) => {
  const reason = error.code === 'EADDRINUSE' ? `port ${config.PORT} is already in use (set PORT)` : error.message;
  process.stderr.write(`The API could not listen on ${config.HOST}:${config.PORT}: ${reason}\n`);
  process.exit(69);
});

// One alert when Postgres stops answering, one when it is back.
const probe = startConnectionProbe({
  dependency: 'postgres',
  check: () => sql`SELECT 1`.execute(db),
  intervalMs: config.DB_PROBE_INTERVAL_MS,
  timeoutMs: 2_000,
  alerter,
  logger,
  metrics,
});

onShutdownSignal(
  logger,
  () => {
    shuttingDown = true;
    return [
      // Requests in flight finish (their intake batches included); then what the batcher holds is stored.
      { name: 'stop accepting and finish requests in flight', run: () => closeServerGracefully(server) },
      { name: 'store pending payment requests', run: () => app.drain() },
      { name: 'stop the database probe', run: () => probe.stop() },
      { name: 'stop applying queue kill switches', run: () => queueControls.stop() },
      { name: 'close queues', run: () => queues.close() },
      { name: 'send pending alerts', run: () => alerter.flush() },
      { name: 'close database pool', run: close },
      // A Redis that is down at this moment has nothing left to flush.
      { name: 'close redis', run: () => redis.quit().catch(() => redis.disconnect()) },
      { name: 'close the counters connection', run: () => counters.quit().catch(() => counters.disconnect()) },
    ];
  },
  config.SHUTDOWN_TIMEOUT_MS,
);
