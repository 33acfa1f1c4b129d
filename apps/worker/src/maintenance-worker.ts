import { Job, UnrecoverableError, type Processor, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { runIntegrityCheck, type IntegrityRunSummary } from '@loanops/integrity';
import { INTEGRITY_SCHEDULER_ID, QUEUE_CATALOG, type QueueName, type Queues } from '@loanops/queues';
import { coerceError, retryUntilDone, type Logger } from '@loanops/runtime';

/** The weekly data-integrity check (INTEGRITY_CRON in INTEGRITY_TIMEZONE; off with CRON_ENABLED=false). */
export interface MaintenanceSettings {
  cronEnabled: boolean;
  integrityCron: string;
  integrityTimezone: string;
  /** Called for a run that found anything: where the alert plugs in. */
  onFindings?: (run: IntegrityRunSummary) => void;
}

interface MaintenanceDeps {
  db: Kysely<Database>;
  producers: Queues;
  logger: Logger;
  bucketTable: BucketTable;
  workerName: string;
  queues: readonly QueueName[];
  settings: MaintenanceSettings;
}

const REGISTER_RETRY_MS = 5_000;

/**
 * Registers the weekly integrity check as a BullMQ job scheduler under one id (every maintenance
 * worker registering it makes one schedule), left alone when already in place with its next job
 * waiting (so a week's check that fell due while no worker was up still runs), removed when the
 * cron is off.
 */
export async function registerIntegritySchedule(
  queue: Queue,
  settings: { enabled: boolean; pattern: string; timezone: string },
): Promise<'registered' | 'unchanged' | 'removed' | 'absent'> {
  if (!settings.enabled) return (await queue.removeJobScheduler(INTEGRITY_SCHEDULER_ID)) ? 'removed' : 'absent';
  const existing = await queue.getJobScheduler(INTEGRITY_SCHEDULER_ID);
  if (
    existing &&
    existing.pattern === settings.pattern &&
    existing.tz === settings.timezone &&
    existing.name === 'integrity-check' &&
    typeof existing.next === 'number' &&
    (await Job.fromId(queue, `repeat:${INTEGRITY_SCHEDULER_ID}:${existing.next}`)) !== undefined
  ) {
    return 'unchanged';
  }
  await queue.upsertJobScheduler(
    INTEGRITY_SCHEDULER_ID,
    { pattern: settings.pattern, tz: settings.timezone },
    { name: 'integrity-check', data: {} },
  );
  return 'registered';
}

/** The maintenance queue's processor and, when this worker serves it, its weekly schedule. */
export function maintenanceWorkerParts(deps: MaintenanceDeps) {
  const processor: Processor = async (job: Job<unknown>) => {
    const log = deps.logger.child({ queue: 'maintenance', jobName: job.name, jobId: job.id });
    if (job.name !== 'integrity-check') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.maintenance.jobs['integrity-check'].safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const { run } = await runIntegrityCheck(deps.db, {
      trigger: 'SCHEDULE',
      actor: { type: 'system', id: deps.workerName },
      bucketTable: deps.bucketTable,
    });
    if (run.status === 'FINDINGS') {
      log.error({ runId: run.id, checks: run.checks, findings: run.findingsTotal }, 'integrity check found wrong rows');
      deps.settings.onFindings?.(run);
    } else {
      log.info({ runId: run.id }, 'integrity check: the book is clean');
    }
    return { runId: run.id, status: run.status, findings: run.findingsTotal };
  };

  function start(): { ready: Promise<void>; stop(): Promise<void> } {
    if (!deps.queues.includes('maintenance')) return { ready: Promise.resolve(), stop: async () => undefined };
    const queue = deps.producers.get('maintenance');
    const { settings } = deps;
    const registration = retryUntilDone(
      async () => {
        const outcome = await registerIntegritySchedule(queue, {
          enabled: settings.cronEnabled,
          pattern: settings.integrityCron,
          timezone: settings.integrityTimezone,
        });
        deps.logger.info({ outcome, cron: settings.integrityCron, timezone: settings.integrityTimezone }, 'integrity check schedule');
      },
      {
        retryMs: REGISTER_RETRY_MS,
        onError: (error) => deps.logger.error({ err: coerceError(error) }, 'the integrity check schedule could not be registered; retrying'),
      },
    );
    return {
      ready: registration.done,
      async stop() {
        registration.stop();
      },
    };
  }

  return { processor, start };
}
