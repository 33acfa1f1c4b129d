import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { isBusinessDate } from '@loanops/domain';

const runId = z.number().int().positive();
const businessDate = z.string().refine(isBusinessDate, 'must be a YYYY-MM-DD date');

/**
 * Every queue, the jobs it carries, each job's payload schema, and how it is retried. Producers
 * and processors are typed from this one table; processors parse `job.data` as unknown against it.
 */
export const QUEUE_CATALOG = {
  payments: {
    jobs: {
      'post-payment': z.strictObject({ intakeId: z.uuid() }),
    },
    defaults: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 24 * 3600, count: 50_000 },
      removeOnFail: { age: 14 * 24 * 3600 },
    },
  },
  edits: {
    jobs: {
      'apply-edit': z.strictObject({ editId: z.uuid() }),
    },
    defaults: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 14 * 24 * 3600 },
    },
  },
  dpd: {
    jobs: {
      /** Made by the job scheduler (DPD_CRON): starts the run of the business date it runs on. */
      'scheduled-run': z.strictObject({}),
      /** A run's parent job: closes the run once every chunk has finished (or failed for good). */
      'finish-run': z.strictObject({ runId }),
      /** The loans of a range of borrowers, classified for the run's business date. */
      'process-chunk': z.strictObject({
        runId,
        chunkNo: z.number().int().min(0),
        businessDate,
        fromBorrowerId: z.number().int().min(0),
        toBorrowerId: z.number().int().min(0).nullable(),
      }),
    },
    defaults: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  escalation: {
    jobs: {
      /** Opens a legal case for every loan at or past the escalation DPD without an open one. */
      escalate: z.strictObject({ runId: runId.nullable(), businessDate }),
    },
    defaults: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  reminders: {
    jobs: {
      /** Made by the job scheduler (REMINDER_CRON): judges promises past their date and puts the day's reminders in the outbox. */
      'plan-reminders': z.strictObject({ businessDate: businessDate.optional() }),
      /** Made by the delivery scheduler (NOTIFY_POLL_MS): sends what is due in the notifications outbox. */
      'deliver-notifications': z.strictObject({}),
    },
    defaults: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 24 * 3600, count: 1_000 },
      removeOnFail: { age: 14 * 24 * 3600 },
    },
  },
  scoring: {
    jobs: {
      /** Scores every collector for a business date (default: the day that just ended, IST); a re-run replaces it. */
      'compute-scores': z.strictObject({ businessDate: businessDate.optional() }),
    },
    defaults: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  maintenance: {
    jobs: {
      /** Made by the weekly job scheduler (INTEGRITY_CRON): runs every data-integrity check. */
      'integrity-check': z.strictObject({}),
    },
    defaults: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { age: 30 * 24 * 3600 },
      removeOnFail: { age: 90 * 24 * 3600 },
    },
  },
} as const satisfies Record<string, { jobs: Record<string, z.ZodType>; defaults: JobsOptions }>;

export type QueueName = keyof typeof QUEUE_CATALOG;
export type JobName<Q extends QueueName> = keyof (typeof QUEUE_CATALOG)[Q]['jobs'] & string;
export type JobData<Q extends QueueName, J extends JobName<Q>> = z.input<
  (typeof QUEUE_CATALOG)[Q]['jobs'][J] extends z.ZodType ? (typeof QUEUE_CATALOG)[Q]['jobs'][J] : never
>;

export const QUEUE_NAMES = Object.keys(QUEUE_CATALOG) as QueueName[];

export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(QUEUE_CATALOG, name);
}

/** The BullMQ job id of a payment intake: re-enqueueing it never adds a second job. */
export function paymentJobId(intakeId: string): string {
  return `intake-${intakeId}`;
}

/** The BullMQ job id of a loan edit, for the same reason. */
export function editJobId(editId: string): string {
  return `edit-${editId}`;
}

/** The job schedulers of the reminders and scoring queues. */
export const REMINDERS_SCHEDULER_ID = 'reminders-daily';
export const DELIVERY_SCHEDULER_ID = 'notifications-delivery';
export const SCORING_SCHEDULER_ID = 'scoring-daily';

/** The job scheduler that makes the daily DPD run's jobs. */
export const DPD_SCHEDULER_ID = 'dpd-daily';

/** A DPD run's parent job (and the prefix of its chunks' ids): one flow per run. */
export function dpdRunJobId(runId: number): string {
  return `dpd-run-${runId}`;
}

export function dpdChunkJobId(runId: number, chunkNo: number): string {
  return `dpd-run-${runId}-chunk-${chunkNo}`;
}

/** The escalation job of a run: closing a run twice enqueues it once. */
export function escalationJobId(runId: number): string {
  return `escalate-run-${runId}`;
}

/** The job scheduler that makes the weekly integrity check's jobs. */
export const INTEGRITY_SCHEDULER_ID = 'integrity-weekly';
