import { loadConfigOrExit, workerConfigSchema } from '@loanops/config';
import { createDb, isSchemaCurrent, postgresProblem } from '@loanops/db';
import { createAlerter, logSink, webhookSink } from '@loanops/observability';
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
const running = startWorker({
  db,
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
});

onShutdownSignal(
  logger,
  () => [
    { name: 'finish active jobs', run: () => running.close() },
    { name: 'send pending alerts', run: () => alerter.flush() },
    { name: 'close database pool', run: closeDb },
    { name: 'close redis', run: () => redis.quit() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);
