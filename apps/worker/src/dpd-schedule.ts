import { Job, type Queue } from 'bullmq';
import { DPD_SCHEDULER_ID } from '@loanops/queues';

export interface DpdScheduleSettings {
  /** CRON_ENABLED: false removes the schedule. */
  enabled: boolean;
  /** DPD_CRON, e.g. `5 0 * * *`. */
  pattern: string;
  /** DPD_TIMEZONE: the zone the pattern is read in (Asia/Kolkata). */
  timezone: string;
}

export type ScheduleOutcome = 'registered' | 'unchanged' | 'removed' | 'absent';

/**
 * Registers the daily DPD run as a BullMQ job scheduler (one id, so every dpd worker registering
 * it at start makes one schedule, never two), or removes it when the cron is off.
 *
 * A scheduler that already has this pattern, zone and job, with its next job in place, is left
 * alone: upserting it again would replace that job with the next occurrence after now, which
 * drops a run that fell due while no worker was up (the waiting job is what lets a worker that
 * starts at 00:20 still run the day's DPD).
 */
export async function registerDpdSchedule(queue: Queue, settings: DpdScheduleSettings): Promise<ScheduleOutcome> {
  if (!settings.enabled) return (await queue.removeJobScheduler(DPD_SCHEDULER_ID)) ? 'removed' : 'absent';
  const existing = await queue.getJobScheduler(DPD_SCHEDULER_ID);
  if (
    existing &&
    existing.pattern === settings.pattern &&
    existing.tz === settings.timezone &&
    existing.name === 'scheduled-run' &&
    typeof existing.next === 'number' &&
    (await Job.fromId(queue, `repeat:${DPD_SCHEDULER_ID}:${existing.next}`)) !== undefined
  ) {
    return 'unchanged';
  }
  await queue.upsertJobScheduler(
    DPD_SCHEDULER_ID,
    { pattern: settings.pattern, tz: settings.timezone },
    { name: 'scheduled-run', data: {} },
  );
  return 'registered';
}
