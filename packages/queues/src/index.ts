export {
  QUEUE_CATALOG,
  QUEUE_NAMES,
  editJobId,
  isQueueName,
  paymentJobId,
  type JobData,
  type JobName,
  type QueueName,
} from './catalog.js';
export { createQueues, type Queues } from './producer.js';
