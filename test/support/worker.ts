import { spawn, type ChildProcess } from 'node:child_process';
import { pino, type Logger } from 'pino';
import { parseEnv, workerConfigSchema } from '@loanops/config';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import type { Alerter, Metrics } from '@loanops/observability';
import type { QueueName } from '@loanops/queues';
import { createRedis } from '@loanops/runtime';
import { COLLECTIONS_DEFAULTS, type CollectionsWorkerSettings } from '../../apps/worker/src/collections-worker.js';
import type { DpdWorkerSettings } from '../../apps/worker/src/dpd-worker.js';
import { startWorker, type RunningWorker } from '../../apps/worker/src/start-worker.js';
import type { TestDatabase } from './db.js';

/** An in-process worker over the test file's database and queue prefix. */
export function startTestWorker(
  database: TestDatabase,
  redisUrl: string,
  prefix: string,
  options: {
    queues?: QueueName[];
    concurrency?: number;
    sweep?: { olderThanMs: number; intervalMs: number };
    /** On top of the configured defaults; the cron is off unless a test turns it on. */
    dpd?: Partial<DpdWorkerSettings>;
    /** Reminders, outbox and scoring: on top of the defaults (no schedules unless cronEnabled). */
    collections?: Partial<CollectionsWorkerSettings>;
    alerter?: Alerter;
    metrics?: Metrics;
    /** Silent unless a test reads the log (support/log.ts). */
    logger?: Logger;
    /** How often the recorded queue pauses are re-applied (ms); the worker's default when absent. */
    queueControlSyncMs?: number;
  } = {},
): RunningWorker & { closeAll(): Promise<void> } {
  const redis = createRedis(redisUrl);
  const running = startWorker({
    db: database.db,
    redis,
    prefix,
    logger: options.logger ?? pino({ level: 'silent' }),
    bucketTable: DEFAULT_BUCKET_TABLE,
    queues: options.queues ?? ['payments'],
    concurrency: options.concurrency ?? 8,
    name: 'test-worker',
    ...(options.sweep ? { sweep: options.sweep } : {}),
    ...(options.queueControlSyncMs !== undefined ? { queueControlSyncMs: options.queueControlSyncMs } : {}),
    dpd: { ...defaultDpdSettings(), cronEnabled: false, ...options.dpd },
    collections: { ...COLLECTIONS_DEFAULTS, ...options.collections },
    ...(options.alerter ? { alerter: options.alerter } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return {
    ...running,
    async closeAll() {
      await running.close();
      await redis.quit();
    },
  };
}

/** The DPD settings a worker gets from an empty environment (the configured defaults). */
export function defaultDpdSettings(): DpdWorkerSettings {
  const config = parseEnv(workerConfigSchema, {});
  return {
    cronEnabled: config.CRON_ENABLED,
    cron: config.DPD_CRON,
    timezone: config.DPD_TIMEZONE,
    chunkBorrowers: config.DPD_CHUNK_BORROWERS,
    concurrency: config.DPD_CONCURRENCY,
    escalationEnabled: config.ESCALATION_ENABLED,
    escalationDpd: config.ESCALATION_DPD,
  };
}

/** The real worker entry point as a child process, for tests that kill it. */
export function spawnWorkerProcess(env: Record<string, string>, args: string[] = ['--queues', 'payments']): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
