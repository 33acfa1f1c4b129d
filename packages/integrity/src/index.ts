export { INTEGRITY_CHECKS, runChecks, type CheckResult, type Finding, type IntegrityCheck } from './checks.js';
export { runIntegrityCheck, type IntegrityRunOptions, type IntegrityRunSummary } from './run-check.js';
export { getIntegrityRun, listIntegrityRuns, type FindingView } from './integrity-queries.js';
