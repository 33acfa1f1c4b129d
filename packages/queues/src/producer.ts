import { FlowProducer, Queue, type FlowJob, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_CATALOG, type JobData, type JobName, type QueueName } from './catalog.js';

/** A job of a flow (a parent and its children), its payload checked against the catalog when added. */
export interface FlowNode {
  queue: QueueName;
  job: string;
  data: unknown;
  jobId: string;
  /** On top of the queue's catalog defaults. */
  options?: Omit<JobsOptions, 'jobId' | 'parent' | 'repeat'>;
  children?: FlowNode[];
}

/** A flow node typed from the catalog. */
export function flowNode<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  job: J,
  data: JobData<Q, J>,
  jobId: string,
  extra: Pick<FlowNode, 'options' | 'children'> = {},
): FlowNode {
  return { queue, job, data, jobId, ...extra };
}

export interface Queues {
  /** The Redis connection the producers share. */
  connection: Redis;
  get(name: QueueName): Queue;
  /** Adds a job after checking its payload against the catalog. */
  add<Q extends QueueName, J extends JobName<Q>>(
    queue: Q,
    job: J,
    data: JobData<Q, J>,
    options?: JobsOptions,
  ): Promise<string | undefined>;
  /** Adds many jobs of one kind in one round trip (payloads checked against the catalog). */
  addBulk<Q extends QueueName, J extends JobName<Q>>(
    queue: Q,
    job: J,
    items: readonly { data: JobData<Q, J>; jobId: string }[],
  ): Promise<void>;
  /** Adds a parent job and its children atomically: all of them or none. */
  addFlow(root: FlowNode): Promise<void>;
  close(): Promise<void>;
}

function schemaOf(queue: QueueName, job: string): { parse(value: unknown): unknown } {
  const jobs: Record<string, { parse(value: unknown): unknown }> = QUEUE_CATALOG[queue].jobs;
  const schema = jobs[job];
  if (!schema) throw new Error(`queue ${queue} has no job ${job}`);
  return schema;
}

/** Producer side: one BullMQ Queue per catalog queue, sharing a connection, opened lazily. */
export function createQueues(connection: Redis, prefix: string): Queues {
  const open = new Map<QueueName, Queue>();
  let flows: FlowProducer | undefined;
  const toFlowJob = (node: FlowNode): FlowJob => ({
    name: node.job,
    queueName: node.queue,
    data: schemaOf(node.queue, node.job).parse(node.data),
    opts: { ...QUEUE_CATALOG[node.queue].defaults, ...node.options, jobId: node.jobId },
    ...(node.children ? { children: node.children.map(toFlowJob) } : {}),
  }) as FlowJob;
  const get = (name: QueueName): Queue => {
    let queue = open.get(name);
    if (!queue) {
      queue = new Queue(name, { connection, prefix, defaultJobOptions: QUEUE_CATALOG[name].defaults });
      queue.on('error', () => undefined);
      open.set(name, queue);
    }
    return queue;
  };
  return {
    connection,
    get,
    async add(queue, job, data, options) {
      const payload = schemaOf(queue, job).parse(data);
      const added = await get(queue).add(job, payload, options);
      return added.id;
    },
    async addBulk(queue, job, items) {
      if (items.length === 0) return;
      const schema = schemaOf(queue, job);
      await get(queue).addBulk(items.map((item) => ({ name: job, data: schema.parse(item.data), opts: { jobId: item.jobId } })));
    },
    async addFlow(root) {
      const job = toFlowJob(root);
      if (!flows) {
        flows = new FlowProducer({ connection, prefix });
        flows.on('error', () => undefined);
      }
      await flows.add(job);
    },
    async close() {
      await Promise.all([...open.values()].map((queue) => queue.close()));
      open.clear();
      await flows?.close();
      flows = undefined;
    },
  };
}
