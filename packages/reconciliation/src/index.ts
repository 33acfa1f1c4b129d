export {
  LAYOUT_NAMES,
  LAYOUT_PRESETS,
  layoutInputSchema,
  layoutInputShape,
  refineLayoutInput,
  resolveLayout, type LayoutInput, type LayoutName, type StatementLayout } from './layouts.js';
export {
  parseAmount,
  parseStatement,
  parseStatementDate,
  type ParsedStatement,
  type StatementLine,
  type StatementProblem,
} from './parse-statement.js';
export { matchLine, type CandidatePayment, type IntakeSeen, type LineMatch } from './match-line.js';
export { InvalidStatementError, getStatement, importStatement, listStatements, type ImportOptions, type StatementSummary } from './reconcile.js';
export { RECONCILIATION_COLUMNS, RECONCILIATION_OUTCOMES, reconciliationItems, type ReconciliationItemRow } from './items.js';
