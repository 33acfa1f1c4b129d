import type { Processor } from 'bullmq';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { ChunkHooks, DpdRunView, StartRunSettings } from '@loanops/dpd';
import type { QueueName, Queues } from '@loanops/queues';
import { coerceError, retryUntilDone, type Logger } from '@loanops/runtime';
import { registerDpdSchedule } from './dpd-schedule.js';
import { startDpdRunSweeper } from './dpd-run-sweeper.js';
import { dpdProcessor } from './processors/dpd.js';
import { escalationProcessor } from './processors/escalation.js';

/** The DPD run and escalation, as configured (packages/config: DPD_*, ESCALATION_*, CRON_ENABLED). */
export interface DpdWorkerSettings {
  cronEnabled: boolean;
  cron: string;
  timezone: string;
  chunkBorrowers: number;
  /** dpd jobs (chunks) at once per worker process. */
  concurrency: number;
  escalationEnabled: boolean;
  escalationDpd: number;
  /** A RUNNING run this old whose jobs are gone is failed by the sweeper (2 min), checked this often (30 s). */
  staleRunAfterMs?: number;
  staleRunSweepIntervalMs?: number;
  /** Retry settings of scheduled runs' chunk jobs, on top of the catalog's (tests shorten them). */
  chunkOptions?: StartRunSettings['chunkOptions'];
  hooks?: ChunkHooks;
  /**
   * Called once for each run that ends FAILED, after the error-level log line: where the alerts
   * (webhook, throttled) plug in.
   */
  onRunFailed?: (run: DpdRunView) => void;
  now?: () => Date;
}

interface DpdWorkerDeps {
  db: Kysely<Database>;
  producers: Queues;
  logger: Logger;
  bucketTable: BucketTable;
  workerName: string;
  queues: readonly QueueName[];
  settings: DpdWorkerSettings;
}

const REGISTER_RETRY_MS = 5_000;

/**
 * What a worker process needs for the dpd and escalation queues: their processors, and — when it
 * serves dpd — the daily schedule (registered or removed at start, retried until Redis takes it)
 * and the stale-run sweeper.
 */
export function dpdWorkerParts(deps: DpdWorkerDeps) {
  const { settings } = deps;
  const now = settings.now ?? (() => new Date());
  const onRunFailed = settings.onRunFailed ?? (() => undefined);
  const processors = {
    dpd: dpdProcessor({
      db: deps.db,
      producers: deps.producers,
      bucketTable: deps.bucketTable,
      logger: deps.logger,
      workerName: deps.workerName,
      chunkBorrowers: settings.chunkBorrowers,
      ...(settings.chunkOptions ? { chunkOptions: settings.chunkOptions } : {}),
      ...(settings.hooks ? { hooks: settings.hooks } : {}),
      onRunFailed,
      now,
    }) as Processor,
    escalation: escalationProcessor({
      db: deps.db,
      logger: deps.logger,
      workerName: deps.workerName,
      enabled: settings.escalationEnabled,
      escalationDpd: settings.escalationDpd,
    }) as Processor,
  };

  function start(): { ready: Promise<void>; stop(): Promise<void> } {
    if (!deps.queues.includes('dpd')) return { ready: Promise.resolve(), stop: async () => undefined };
    const queue = deps.producers.get('dpd');
    const registration = retryUntilDone(
      async () => {
        const outcome = await registerDpdSchedule(queue, { enabled: settings.cronEnabled, pattern: settings.cron, timezone: settings.timezone });
        deps.logger.info({ outcome, cron: settings.cron, timezone: settings.timezone }, 'DPD schedule');
      },
      {
        retryMs: REGISTER_RETRY_MS,
        onError: (error) => deps.logger.error({ err: coerceError(error) }, 'the DPD schedule could not be registered; retrying'),
      },
    );
    const sweeper = startDpdRunSweeper({
      db: deps.db,
      queue,
      logger: deps.logger,
      actorId: deps.workerName,
      olderThanMs: settings.staleRunAfterMs ?? 120_000,
      intervalMs: settings.staleRunSweepIntervalMs ?? 30_000,
      onRunFailed,
      now,
    });
    return {
      ready: registration.done,
      async stop() {
        registration.stop();
        await sweeper.stop();
      },
    };
  }

  return { processors, start };
}
