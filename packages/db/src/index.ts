export { createDb, createPool, type Db, type DbOptions } from './create-db.js';
export { loanopsTypes, parseInt8 } from './pg-types.js';
export {
  MigrationError,
  ensureDatabaseExists,
  isSchemaCurrent,
  migrateDownToEmpty,
  migrateToLatest,
} from './migrate.js';
export {
  isCheckViolation,
  isConnectionError,
  isPgError,
  isRetryableTransactionError,
  isUniqueViolation,
  type PgError,
} from './pg-errors.js';
export { recordAudit, type Actor, type AuditEntry } from './audit.js';
export { setTransactionBusinessDate } from './business-date.js';
export { postgresProblem } from './reachability.js';
export type {
  Borrower,
  BucketCause,
  Database,
  Installment,
  IntakeStatus,
  Loan,
  LoanSource,
  LoanStatus,
  LoanUpdate,
  NewAuditEntry,
  NewBorrower,
  NewInstallment,
  NewLoan,
  NotificationStatus,
  PaymentMode,
  PromiseStatus,
  PaymentStatus,
  ReconciliationOutcome,
  Role,
  RunKind,
  RunStatus,
  RunTrigger,
} from './schema.js';
