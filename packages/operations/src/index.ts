export {
  applyQueueControls,
  knownQueue,
  listQueueControls,
  startQueueControlSync,
  switchQueue,
  UnknownQueueError,
  QueuesUnavailableError,
  withinMs,
  type AppliedControl,
  type ControlPass,
  type QueueControl,
  type QueueControlSync,
  type QueueSwitch,
} from './queue-controls.js';
export { operationsStatus, type FeatureFlags, type LastRun, type OperationsStatus, type QueueState } from './status.js';
