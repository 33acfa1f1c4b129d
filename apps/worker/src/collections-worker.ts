import type { Processor } from 'bullmq';
import type { Kysely } from 'kysely';
import { DEFAULT_RETRY_POLICY, legalTeamChannel, logChannel, webhookChannel, type RetryPolicy } from '@loanops/collections';
import { BUSINESS_ZONE, DEFAULT_SCORE_WEIGHTS, type BucketTable, type ScoreWeights } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  DELIVERY_SCHEDULER_ID,
  REMINDERS_SCHEDULER_ID,
  SCORING_SCHEDULER_ID,
  type QueueName,
  type Queues,
} from '@loanops/queues';
import { coerceError, retryUntilDone, type Logger } from '@loanops/runtime';
import { registerSchedule, type ScheduleSettings } from './collections-schedule.js';
import { remindersProcessor } from './processors/reminders.js';
import { scoringProcessor } from './processors/scoring.js';

/** Reminders, the notifications outbox and collector scoring, as configured (REMINDER_*, NOTIFY_*, SCORING_*, SCORE_WEIGHTS). */
export interface CollectionsWorkerSettings {
  /** CRON_ENABLED: false removes the daily reminder and scoring schedules (the outbox is still delivered). */
  cronEnabled: boolean;
  remindersEnabled: boolean;
  scoringEnabled: boolean;
  reminderCron: string;
  scoringCron: string;
  installmentDaysBefore: number;
  webhookUrl?: string | undefined;
  /** LEGAL_NOTIFY_WEBHOOK_URL: where the legal team's notifications go; the log without it. */
  legalWebhookUrl?: string | undefined;
  webhookTimeoutMs: number;
  retry: RetryPolicy;
  /** How often the outbox is delivered (ms). */
  pollMs: number;
  /** How long a claimed notification is held for the worker sending it (the outbox's default, two minutes, when absent). */
  claimMs?: number;
  scoreWeights: ScoreWeights;
  now?: () => Date;
}

/** What a worker given no collections settings uses: the configured defaults, with no schedules. */
export const COLLECTIONS_DEFAULTS: CollectionsWorkerSettings = {
  cronEnabled: false,
  remindersEnabled: true,
  scoringEnabled: true,
  reminderCron: '30 7-17 * * *',
  scoringCron: '30 1 * * *',
  installmentDaysBefore: 3,
  webhookTimeoutMs: 5_000,
  retry: DEFAULT_RETRY_POLICY,
  pollMs: 15_000,
  scoreWeights: DEFAULT_SCORE_WEIGHTS,
};

interface CollectionsWorkerDeps {
  db: Kysely<Database>;
  producers: Queues;
  logger: Logger;
  bucketTable: BucketTable;
  workerName: string;
  queues: readonly QueueName[];
  settings: CollectionsWorkerSettings;
}

const REGISTER_RETRY_MS = 5_000;

/**
 * The reminders and scoring queues' processors and, for the queues this process serves, their
 * job schedulers: the daily plan of reminders and the daily scores (in IST, only with CRON_ENABLED
 * and their flag), and the outbox delivery every NOTIFY_POLL_MS.
 */
export function collectionsWorkerParts(deps: CollectionsWorkerDeps) {
  const { settings } = deps;
  const now = settings.now ?? (() => new Date());
  function channels() {
    const log = logChannel(deps.logger);
    return {
      log,
      webhook: webhookChannel(settings.webhookUrl, settings.webhookTimeoutMs),
      legal: legalTeamChannel(settings.legalWebhookUrl, settings.webhookTimeoutMs, log),
    };
  }
  const processors = {
    reminders: remindersProcessor({
      db: deps.db,
      logger: deps.logger,
      workerName: deps.workerName,
      enabled: settings.remindersEnabled,
      installmentDaysBefore: settings.installmentDaysBefore,
      channels: channels(),
      reminderChannel: settings.webhookUrl ? 'webhook' : 'log',
      retry: settings.retry,
      claimMs: settings.claimMs,
      now,
    }) as Processor,
    scoring: scoringProcessor({
      db: deps.db,
      logger: deps.logger,
      workerName: deps.workerName,
      enabled: settings.scoringEnabled,
      weights: settings.scoreWeights,
      bucketNames: deps.bucketTable.map((bucket) => bucket.name),
      now,
    }) as Processor,
  };

  function schedules(): { queue: QueueName; schedule: ScheduleSettings }[] {
    const wanted: { queue: QueueName; schedule: ScheduleSettings }[] = [];
    if (deps.queues.includes('reminders')) {
      wanted.push(
        {
          queue: 'reminders',
          schedule: {
            id: REMINDERS_SCHEDULER_ID,
            jobName: 'plan-reminders',
            enabled: settings.cronEnabled && settings.remindersEnabled,
            repeat: { pattern: settings.reminderCron, tz: BUSINESS_ZONE },
          },
        },
        {
          queue: 'reminders',
          schedule: { id: DELIVERY_SCHEDULER_ID, jobName: 'deliver-notifications', enabled: true, repeat: { every: settings.pollMs } },
        },
      );
    }
    if (deps.queues.includes('scoring')) {
      wanted.push({
        queue: 'scoring',
        schedule: {
          id: SCORING_SCHEDULER_ID,
          jobName: 'compute-scores',
          enabled: settings.cronEnabled && settings.scoringEnabled,
          repeat: { pattern: settings.scoringCron, tz: BUSINESS_ZONE },
        },
      });
    }
    return wanted;
  }

  /** Registers (or removes) the schedules, retrying until Redis takes them; `ready` settles when all are in place. */
  function start(): { ready: Promise<void>; stop(): Promise<void> } {
    const registrations = schedules().map(({ queue, schedule }) =>
      retryUntilDone(
        async () => {
          const outcome = await registerSchedule(deps.producers.get(queue), schedule);
          deps.logger.info({ scheduler: schedule.id, outcome, repeat: schedule.repeat }, 'schedule');
        },
        {
          retryMs: REGISTER_RETRY_MS,
          onError: (error) =>
            deps.logger.error({ scheduler: schedule.id, err: coerceError(error) }, 'a schedule could not be registered; retrying'),
        },
      ),
    );
    return {
      ready: Promise.all(registrations.map((registration) => registration.done)).then(() => undefined),
      async stop() {
        for (const registration of registrations) registration.stop();
      },
    };
  }

  return { processors, start };
}
