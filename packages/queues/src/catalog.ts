import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

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
