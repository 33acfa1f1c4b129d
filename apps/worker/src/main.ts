import { loadConfigOrExit, workerConfigSchema } from '@loanops/config';
import { createDb, isSchemaCurrent, postgresProblem } from '@loanops/db';
import { sql } from 'kysely';
import { createAlerter, createMetrics, logSink, startConnectionProbe, startMetricsServer, webhookSink } from '@loanops/observability';
import { createLogger, createRedis, onShutdownSignal, redisProblem } from '@loanops/runtime';
import { parseQueuesArg, startWorker } from './start-worker.js';

const config = loadConfigOrExit(workerConfigSchema);
let queues;
try {
  queues = parseQueuesArg(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(64);
}
const name = `worker-${queues.join('+')}-${process.pid}`;
const logger = createLogger({ level: config.LOG_LEVEL, name: 'loanops-worker', base: { queues } });

for (const problem of [await postgresProblem(config.DATABASE_URL), await redisProblem(config.REDIS_URL)]) {
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(69);
  }
}
const { db, close: closeDb } = createDb({
  databaseUrl: config.DATABASE_URL,
  poolMax: config.DATABASE_POOL_MAX,
  applicationName: name,
});
if (!(await isSchemaCurrent(db))) {
  process.stderr.write('The database schema is behind this build; run `npm run migrate` first.\n');
  await closeDb();
  process.exit(69);
}
const redis = createRedis(config.REDIS_URL);
const alerter = createAlerter({
  sinks: [logSink(logger), ...(config.ALERT_WEBHOOK_URL ? [webhookSink(config.ALERT_WEBHOOK_URL)] : [])],
  logger,
  throttleMs: config.ALERT_THROTTLE_MS,
});
const metrics = createMetrics({ defaultMetrics: true });
// Bound before any job is taken: a port in use stops the process while it holds none.
const metricsServer =
  config.WORKER_METRICS_PORT > 0
    ? await startMetricsServer(metrics.registry, { port: config.WORKER_METRICS_PORT, token: config.METRICS_TOKEN }).catch((error: unknown) => {
        process.stderr.write(`The worker could not serve metrics on port ${config.WORKER_METRICS_PORT}: ${String(error)}\n`);
        process.exit(69);
      })
    : null;
const running = startWorker({
  db,
  metrics,
  alerter,
  redis,
  prefix: config.QUEUE_PREFIX,
  logger,
  bucketTable: config.BUCKET_TABLE,
  queues,
  concurrency: config.WORKER_CONCURRENCY,
  paymentsConcurrency: config.PAYMENTS_CONCURRENCY,
  postingBatch: { max: config.POSTING_BATCH_MAX, waitMs: config.POSTING_BATCH_WAIT_MS },
  name,
  lockDurationMs: config.WORKER_LOCK_DURATION_MS,
  auditSealIntervalMs: config.AUDIT_SEAL_INTERVAL_MS,
  queueControlSyncMs: config.QUEUE_CONTROL_SYNC_MS,
  sweep: { olderThanMs: config.PAYMENT_SWEEP_AFTER_MS, intervalMs: config.PAYMENT_SWEEP_INTERVAL_MS },
  dpd: {
    cronEnabled: config.CRON_ENABLED,
    cron: config.DPD_CRON,
    timezone: config.DPD_TIMEZONE,
    chunkBorrowers: config.DPD_CHUNK_BORROWERS,
    concurrency: config.DPD_CONCURRENCY,
    escalationEnabled: config.ESCALATION_ENABLED,
    escalationDpd: config.ESCALATION_DPD,
    onRunFailed: (run) =>
      alerter.alert('dpd-run-failed', `DPD run ${run.id} for ${run.businessDate} failed`, { runId: run.id, error: run.error }),
  },
  collections: {
    cronEnabled: config.CRON_ENABLED,
    remindersEnabled: config.REMINDERS_ENABLED,
    scoringEnabled: config.SCORING_ENABLED,
    reminderCron: config.REMINDER_CRON,
    scoringCron: config.SCORING_CRON,
    installmentDaysBefore: config.INSTALLMENT_REMINDER_DAYS_BEFORE,
    webhookUrl: config.NOTIFY_WEBHOOK_URL,
    legalWebhookUrl: config.LEGAL_NOTIFY_WEBHOOK_URL,
    webhookTimeoutMs: config.NOTIFY_WEBHOOK_TIMEOUT_MS,
    retry: { maxAttempts: config.NOTIFY_MAX_ATTEMPTS, baseDelayMs: config.NOTIFY_RETRY_BASE_MS, maxDelayMs: 3_600_000 },
    pollMs: config.NOTIFY_POLL_MS,
    scoreWeights: config.SCORE_WEIGHTS,
  },
  maintenance: {
    cronEnabled: config.CRON_ENABLED,
    integrityCron: config.INTEGRITY_CRON,
    integrityTimezone: config.INTEGRITY_TIMEZONE,
    onFindings: (run) =>
      alerter.alert('integrity-findings', `integrity check ${run.id} found ${run.findingsTotal} wrong rows`, {
        runId: run.id,
        checks: run.checks,
      }),
  },
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
  () => [
    { name: 'stop taking jobs and finish active ones', run: () => running.close() },
    { name: 'stop the database probe', run: () => probe.stop() },
    { name: 'send pending alerts', run: () => alerter.flush() },
    { name: 'close database pool', run: closeDb },
    { name: 'close metrics port', run: async () => metricsServer?.close() },
    // A Redis that is down at this moment has nothing left to flush.
    { name: 'close redis', run: () => redis.quit().catch(() => redis.disconnect()) },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);
