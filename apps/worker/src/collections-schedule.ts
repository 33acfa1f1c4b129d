import { Job, type Queue } from 'bullmq';
import type { ScheduleOutcome } from './dpd-schedule.js';

export interface ScheduleSettings {
  /** The scheduler id: one per schedule, so every worker registering it makes one. */
  id: string;
  jobName: string;
  /** False removes the schedule. */
  enabled: boolean;
  /** A cron pattern read in a zone, or a fixed interval (ms). */
  repeat: { pattern: string; tz: string } | { every: number };
}

/**
 * Registers a BullMQ job scheduler, or removes it when off — as the DPD schedule does: one id, so
 * any number of workers make one schedule; one already in place with the same settings and its
 * next job waiting is left alone, so a run that fell due while no worker was up is not dropped.
 */
export async function registerSchedule(queue: Queue, settings: ScheduleSettings): Promise<ScheduleOutcome> {
  if (!settings.enabled) return (await queue.removeJobScheduler(settings.id)) ? 'removed' : 'absent';
  const existing = await queue.getJobScheduler(settings.id);
  const same =
    existing !== undefined &&
    existing.name === settings.jobName &&
    ('every' in settings.repeat
      ? Number(existing.every) === settings.repeat.every
      : existing.pattern === settings.repeat.pattern && existing.tz === settings.repeat.tz);
  if (same && typeof existing?.next === 'number' && (await Job.fromId(queue, `repeat:${settings.id}:${existing.next}`)) !== undefined) {
    return 'unchanged';
  }
  await queue.upsertJobScheduler(settings.id, settings.repeat, { name: settings.jobName, data: {} });
  return 'registered';
}
