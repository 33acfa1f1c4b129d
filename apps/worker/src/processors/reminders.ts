import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import { deliverDueNotifications, planReminders, resolveDuePromises, type Channels, type RetryPolicy } from '@loanops/collections';
import { businessToday } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { QUEUE_CATALOG } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

export interface RemindersProcessorDeps {
  db: Kysely<Database>;
  logger: Logger;
  workerName: string;
  /** REMINDERS_ENABLED: when false nothing is planned and borrower-facing notifications are not sent. */
  enabled: boolean;
  installmentDaysBefore: number;
  channels: Channels;
  /** The channel new reminders take: `webhook` when NOTIFY_WEBHOOK_URL is set. */
  reminderChannel: 'log' | 'webhook';
  retry: RetryPolicy;
  /** How long a claimed notification is held for its sender (the outbox's default when absent). */
  claimMs?: number;
  now: () => Date;
}

const JOBS = QUEUE_CATALOG.reminders.jobs;

/**
 * The reminders queue: `plan-reminders` (REMINDER_CRON, hourly by default: judge promises whose date has
 * passed, then put the day's reminders in the outbox) and `deliver-notifications` (every
 * NOTIFY_POLL_MS: send what is due, legal-team notifications included).
 */
export function remindersProcessor(deps: RemindersProcessorDeps) {
  return async (job: Job<unknown>): Promise<unknown> => {
    const log = deps.logger.child({ queue: 'reminders', jobName: job.name, jobId: job.id });
    switch (job.name) {
      case 'plan-reminders': {
        const parsed = JOBS['plan-reminders'].safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
        const actualToday = businessToday(deps.now());
        const today = parsed.data.businessDate ?? actualToday;
        // Judging a promise on a day that has not come would mark it BROKEN for good.
        if (today > actualToday) throw new UnrecoverableError(`businessDate ${today} is after today (${actualToday}, IST)`);
        const judged = await resolveDuePromises(deps.db, today, { type: 'system', id: deps.workerName });
        if (!deps.enabled) {
          log.info({ today, ...judged }, 'reminders are off (REMINDERS_ENABLED=false); none planned');
          return { enabled: false, judged };
        }
        const planned = await planReminders(deps.db, {
          today,
          now: deps.now(),
          installmentDaysBefore: deps.installmentDaysBefore,
          channel: deps.reminderChannel,
          maxAttempts: deps.retry.maxAttempts,
        });
        log.info({ today, judged, planned }, 'reminders planned');
        return { enabled: true, judged, planned };
      }
      case 'deliver-notifications': {
        const counts = await deliverDueNotifications(deps.db, {
          channels: deps.channels,
          policy: deps.retry,
          borrowerMessagesEnabled: deps.enabled,
          logger: log,
          now: deps.now,
          claimMs: deps.claimMs,
        });
        if (counts.sent + counts.retrying + counts.dead + counts.expired > 0) log.info(counts, 'notifications delivered');
        return counts;
      }
      default:
        throw new UnrecoverableError(`unknown job ${job.name}`);
    }
  };
}
