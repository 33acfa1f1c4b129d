export {
  DELIVERY_SCHEDULER_ID,
  DPD_SCHEDULER_ID,
  REMINDERS_SCHEDULER_ID,
  SCORING_SCHEDULER_ID,
  INTEGRITY_SCHEDULER_ID,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  dpdChunkJobId,
  dpdRunJobId,
  escalationJobId,
  editJobId,
  isQueueName,
  paymentJobId,
  type JobData,
  type JobName,
  type QueueName,
} from './catalog.js';
export { createQueues, flowNode, type FlowNode, type Queues } from './producer.js';
