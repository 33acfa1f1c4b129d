import { Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { QUEUE_NAMES, createQueues, type QueueName } from '@loanops/queues';
import { coerceError, type Logger } from '@loanops/runtime';
import { startPaymentSweeper } from './payment-sweeper.js';
import { paymentsProcessor } from './processors/payments.js';

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
}

export interface RunningWorker {
  workers: Worker[];
  /** Stops taking jobs, waits for the active ones, stops the sweeper, closes producers. */
  close(): Promise<void>;
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
  const processors: Record<QueueName, Processor> = {
    payments: paymentsProcessor({
      db: deps.db,
      bucketTable: deps.bucketTable,
      logger: deps.logger,
      workerName: deps.name,
      batchMax: deps.postingBatch?.max ?? 50,
      batchWaitMs: deps.postingBatch?.waitMs ?? 2,
    }) as Processor,
  };
  const workers = deps.queues.map((queue) => {
    const worker = new Worker(queue, processors[queue], {
      connection: deps.redis,
      prefix: deps.prefix,
      concurrency: queue === 'payments' ? (deps.paymentsConcurrency ?? deps.concurrency) : deps.concurrency,
      name: deps.name,
      ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs, stalledInterval: deps.lockDurationMs } : {}),
    });
    worker.on('failed', (job, error) => {
      const exhausted = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.logger[exhausted ? 'error' : 'warn'](
        { queue, jobName: job?.name, jobId: job?.id, attemptsMade: job?.attemptsMade, err: coerceError(error) },
        exhausted ? 'job failed for good' : 'job failed, will retry',
      );
    });
    worker.on('error', (error) => deps.logger.error({ queue, err: coerceError(error) }, 'worker error'));
    return worker;
  });
  const sweeper =
    deps.queues.includes('payments') && deps.sweep
      ? startPaymentSweeper({ db: deps.db, queue: producers.get('payments'), logger: deps.logger, ...deps.sweep })
      : null;
  deps.logger.info({ queues: deps.queues, concurrency: deps.concurrency }, 'worker started');
  return {
    workers,
    async close() {
      await sweeper?.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await producers.close();
    },
  };
}
