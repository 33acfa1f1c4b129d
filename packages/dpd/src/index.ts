export {
  startDpdRun,
  type StartRunOutcome,
  type StartRunRequest,
  type StartRunSettings,
} from './start-run.js';
export {
  processChunk,
  type ChunkCounts,
  type ChunkHooks,
  type ChunkOutcome,
  type ChunkSettings,
  type ChunkTask,
} from './process-chunk.js';
export { failDpdRun, findLongRunningRuns, finishDpdRun, type FinishOutcome } from './finish-run.js';
export { getDpdRun, listDpdRuns, type DpdRunFilters, type DpdRunView } from './run-queries.js';
export {
  countEscalationCandidates,
  escalateEligibleLoans,
  type EscalationRequest,
  type EscalationSettings,
} from './escalate.js';
export type { OpenedCase } from './sql/escalate-loans.js';
export {
  LEGAL_CASE_STATUSES,
  listLegalCases,
  type LegalCaseFilters,
  type LegalCaseView,
} from './legal-case-queries.js';
export {
  DpdRunExistsError,
  DpdRunNotEnqueuedError,
  DpdRunSupersededError,
  FutureBusinessDateError,
} from './errors.js';
