import { Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { startAuditSealer } from '@loanops/audit';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { Alerter, Metrics } from '@loanops/observability';
import { QUEUE_NAMES, createQueues, editJobId, paymentJobId, type QueueName } from '@loanops/queues';
import { coerceError, type Logger } from '@loanops/runtime';
import { findWaitingEdits } from '@loanops/loan-book';
import { startQueueControlSync } from '@loanops/operations';
import { findWaitingIntakes } from '@loanops/payments';
import { editsProcessor } from './processors/edits.js';
import { paymentsProcessor } from './processors/payments.js';
import { startSweeper } from './sweeper.js';
import { dpdWorkerParts, type DpdWorkerSettings } from './dpd-worker.js';
import { COLLECTIONS_DEFAULTS, collectionsWorkerParts, type CollectionsWorkerSettings } from './collections-worker.js';
import { maintenanceWorkerParts, type MaintenanceSettings } from './maintenance-worker.js';
import { alertOnFailure, failedForGood, instrumentProcessor } from './instrument.js';

export interface WorkerDeps {
  db: Kysely<Database>;
  redis: Redis;
  prefix: string;
  logger: Logger;
  bucketTable: BucketTable;
  queues: readonly QueueName[];
  concurrency: number;
  /** Payments jobs at once per process: they are posted in batches, so more than other queues. */
  paymentsConcurrency?: number;
  postingBatch?: { max: number; waitMs: number };
  name: string;
  /** How long a job stays locked to this worker without renewal (stalled-job detection). */
  lockDurationMs?: number;
  sweep?: { olderThanMs: number; intervalMs: number };
  /** How often this process seals new audit entries into the hash chain (ms); off when absent. */
  auditSealIntervalMs?: number;
  /** The daily DPD run and escalation (DPD_*, ESCALATION_*, CRON_ENABLED). */
  dpd: DpdWorkerSettings;
  /** Reminders, the notifications outbox and scoring; without it, the defaults and no schedules. */
  collections?: CollectionsWorkerSettings;
  /** The weekly integrity check (maintenance queue); the cron is off when absent. */
  maintenance?: MaintenanceSettings;
  /** Job durations and outcomes, payment postings (exported on WORKER_METRICS_PORT when set). */
  metrics?: Metrics;
  /** Critical alerts: a job failed for good, a payment processing error. */
  alerter?: Alerter;
  /**
   * How often the kill switches recorded in Postgres are re-applied to Redis (ms; 0: only at
   * start). Workers take no job before they have been applied once.
   */
  queueControlSyncMs?: number;
}

export interface RunningWorker {
  workers: Worker[];
  /** Stops taking jobs, waits for the active ones, stops the sweeper, closes producers. */
  close(): Promise<void>;
  /** Settles once start-up work is done: the DPD schedule registered (or removed) when serving dpd. */
  ready: Promise<void>;
}

/** Parses `--queues a,b` (default: every queue). Unknown names are an error naming the known ones. */
export function parseQueuesArg(argv: readonly string[]): QueueName[] {
  const index = argv.findIndex((arg) => arg === '--queues' || arg.startsWith('--queues='));
  if (index === -1) return [...QUEUE_NAMES];
  const arg = argv[index] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  const names = (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new Error(`--queues needs a list, e.g. --queues ${QUEUE_NAMES.join(',')}`);
  const unknown = names.filter((name) => !(QUEUE_NAMES as string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown queue ${unknown.join(', ')}; known queues: ${QUEUE_NAMES.join(', ')}`);
  }
  return [...new Set(names)] as QueueName[];
}

/** Starts a BullMQ worker for each chosen queue (and the payments sweeper with the payments queue). */
export function startWorker(deps: WorkerDeps): RunningWorker {
  const producers = createQueues(deps.redis, deps.prefix);
  const dpd = dpdWorkerParts({
    db: deps.db,
    producers,
    logger: deps.logger,
    bucketTable: deps.bucketTable,
    workerName: deps.name,
    queues: deps.queues,
    settings: deps.dpd,
  });
  const common = {
    db: deps.db,
    producers,
    logger: deps.logger,
    bucketTable: deps.bucketTable,
    workerName: deps.name,
    queues: deps.queues,
  };
  const collections = collectionsWorkerParts({ ...common, settings: deps.collections ?? COLLECTIONS_DEFAULTS });
  const maintenance = maintenanceWorkerParts({
    ...common,
    settings: deps.maintenance ?? { cronEnabled: false, integrityCron: '0 6 * * 5', integrityTimezone: 'Asia/Kolkata' },
  });
  const processors: Record<QueueName, Processor> = {
    payments: paymentsProcessor({
      db: deps.db,
      bucketTable: deps.bucketTable,
      logger: deps.logger,
      workerName: deps.name,
      batchMax: deps.postingBatch?.max ?? 50,
      batchWaitMs: deps.postingBatch?.waitMs ?? 2,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    }) as Processor,
    edits: editsProcessor({ db: deps.db, logger: deps.logger, workerName: deps.name }) as Processor,
    ...dpd.processors,
    ...collections.processors,
    maintenance: maintenance.processor,
  };
  const workers = deps.queues.map((queue) => {
    const processor = deps.metrics ? instrumentProcessor(queue, processors[queue], deps.metrics) : processors[queue];
    const worker = new Worker(queue, processor, {
      connection: deps.redis,
      prefix: deps.prefix,
      concurrency:
        queue === 'payments'
          ? (deps.paymentsConcurrency ?? deps.concurrency)
          : queue === 'dpd'
            ? deps.dpd.concurrency
            : deps.concurrency,
      name: deps.name,
      autorun: false,
      ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs, stalledInterval: deps.lockDurationMs } : {}),
    });
    worker.on('failed', (job, error) => {
      const exhausted = failedForGood(job, error);
      if (deps.alerter) alertOnFailure(deps.alerter, queue, job, error);
      deps.logger[exhausted ? 'error' : 'warn'](
        { queue, jobName: job?.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: coerceError(error) },
        exhausted ? 'job failed for good' : 'job failed, will retry',
      );
    });
    worker.on('error', (error) => deps.logger.error({ queue, err: coerceError(error) }, 'worker error'));
    return worker;
  });
  const sweepers = deps.sweep
    ? [
        ...(deps.queues.includes('payments')
          ? [
              startSweeper({
                queue: producers.get('payments'),
                jobName: 'post-payment',
                logger: deps.logger,
                findWaiting: (olderThanMs, limit) => findWaitingIntakes(deps.db, { now: new Date(), olderThanMs, limit }),
                jobIdOf: paymentJobId,
                dataOf: (intakeId) => ({ intakeId }),
                ...deps.sweep,
              }),
            ]
          : []),
        ...(deps.queues.includes('edits')
          ? [
              startSweeper({
                queue: producers.get('edits'),
                jobName: 'apply-edit',
                logger: deps.logger,
                findWaiting: (olderThanMs, limit) => findWaitingEdits(deps.db, { now: new Date(), olderThanMs, limit }),
                jobIdOf: editJobId,
                dataOf: (editId) => ({ editId }),
                ...deps.sweep,
              }),
            ]
          : []),
      ]
    : [];
  // A paused queue stays paused across restarts and a Redis that came back empty: the pauses are
  // re-applied from Postgres before any worker takes a job, and again every queueControlSyncMs;
  // each worker also holds its own fetching while its queue is recorded as paused.
  let closing = false;
  const controls = startQueueControlSync({
    db: deps.db,
    queues: producers,
    names: deps.queues,
    intervalMs: deps.queueControlSyncMs ?? 5_000,
    logger: deps.logger,
    onRecord: async (recorded) => {
      if (closing) return;
      await Promise.all(
        workers.map(async (worker, index) => {
          const hold = recorded.get(deps.queues[index] as QueueName) ?? false;
          if (hold && !worker.isPaused()) await worker.pause(true);
          else if (!hold && worker.isPaused()) await worker.resume();
          else if (!hold && !worker.isRunning()) {
            worker.run().catch((error: unknown) => deps.logger.error({ err: coerceError(error) }, 'worker stopped with an error'));
          }
        }),
      );
    },
  });
  const sealer = deps.auditSealIntervalMs ? startAuditSealer(deps.db, deps.logger, deps.auditSealIntervalMs) : null;
  const dpdRuntime = dpd.start();
  const collectionsRuntime = collections.start();
  const maintenanceRuntime = maintenance.start();
  deps.logger.info({ queues: deps.queues, concurrency: deps.concurrency }, 'worker started');
  return {
    workers,
    ready: Promise.all([dpdRuntime.ready, collectionsRuntime.ready, maintenanceRuntime.ready, controls.ready]).then(() => undefined),
    async close() {
      closing = true;
      await controls.stop();
      await dpdRuntime.stop();
      await collectionsRuntime.stop();
      await maintenanceRuntime.stop();
      await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
      await sealer?.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await producers.close();
    },
  };
}
