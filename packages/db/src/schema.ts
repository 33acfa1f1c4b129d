import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The typed shape of the record (migrations/ is its source). bigint columns arrive as JS
 * numbers (see pg-types.ts: anything beyond 2^53 is refused, never rounded); `date` columns as
 * `YYYY-MM-DD` strings; `timestamptz` as Date.
 */

type Int8 = ColumnType<number, number, number>;
type Id = GeneratedAlways<number>;
type BusinessDate = ColumnType<string, string, string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;

export type Role = 'admin' | 'ops' | 'finance' | 'collector' | 'legal';
export type LoanStatus = 'ACTIVE' | 'LEGAL' | 'CLOSED' | 'WRITTEN_OFF';
export type LoanSource = 'API' | 'IMPORT' | 'SEED';
export type PaymentMode = 'UPI' | 'IMPS' | 'NEFT' | 'RTGS' | 'NACH' | 'CHEQUE' | 'CASH';
export type IntakeStatus = 'RECEIVED' | 'POSTED' | 'REJECTED';
export type PaymentStatus = 'POSTED' | 'REVERSED';
export type BucketCause = 'ONBOARDING' | 'DPD_RUN' | 'PAYMENT' | 'REVERSAL';
export type RunKind = 'DPD' | 'SCORING' | 'REMINDERS' | 'INTEGRITY';
export type RunTrigger = 'SCHEDULE' | 'MANUAL';
export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export type NotificationStatus = 'PENDING' | 'SENT' | 'DEAD' | 'EXPIRED';
export type PromiseStatus = 'OPEN' | 'KEPT' | 'BROKEN' | 'SUPERSEDED';

export interface CollectorsTable {
  id: Generated<number>;
  code: string;
  name: string;
  phone: string | null;
  email: string | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Id;
  email: string;
  display_name: string;
  role: Role;
  password_hash: string;
  collector_id: number | null;
  disabled_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface BorrowersTable {
  id: Generated<number>;
  customer_ref: string | null;
  name: string;
  phone: string;
  email: string | null;
  address: string | null;
  pin_code: string | null;
  language: Generated<'en' | 'hi'>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface LoansTable {
  id: Generated<number>;
  loan_number: string;
  borrower_id: number;
  collector_id: number | null;
  principal_paise: Int8;
  annual_rate_bps: number;
  tenure_months: number;
  disbursed_on: BusinessDate;
  first_due_on: BusinessDate;
  status: Generated<LoanStatus>;
  dpd: Generated<number>;
  bucket: string;
  dpd_as_of: BusinessDate;
  principal_outstanding_paise: Int8;
  interest_outstanding_paise: Int8;
  charges_outstanding_paise: Generated<number>;
  total_outstanding_paise: GeneratedAlways<number>;
  tags: Generated<string[]>;
  notes: string | null;
  source: Generated<LoanSource>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  closed_at: NullableTimestamp;
}

/**
 * Who held a loan when (migrations/0009-allocation-history.ts): from `allocated_on` up to, not
 * including, `ended_on`; the open period is the loan's collector now. Written by triggers on loans.
 */
export interface LoanAllocationsTable {
  loan_id: number;
  collector_id: number;
  allocated_on: BusinessDate;
  ended_on: BusinessDate | null;
  recorded_at: CreatedAt;
}

export interface InstallmentsTable {
  id: Generated<number>;
  loan_id: number;
  seq: number;
  due_on: BusinessDate;
  principal_due_paise: Int8;
  interest_due_paise: Int8;
  principal_paid_paise: Generated<number>;
  interest_paid_paise: Generated<number>;
  outstanding_paise: GeneratedAlways<number>;
  paid_on: BusinessDate | null;
}

export interface LoanChargesTable {
  id: Id;
  loan_id: number;
  kind: 'BOUNCE' | 'LATE_PAYMENT' | 'LEGAL' | 'OTHER';
  levied_on: BusinessDate;
  amount_paise: Int8;
  paid_paise: Generated<number>;
  description: string | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface PaymentIntakeTable {
  id: Generated<string>;
  utr: string;
  loan_id: number;
  amount_paise: Int8;
  value_date: BusinessDate;
  mode: PaymentMode;
  status: Generated<IntakeStatus>;
  reject_code: string | null;
  reject_message: string | null;
  payment_id: number | null;
  received_by: string;
  request_id: string | null;
  received_at: CreatedAt;
  processed_at: NullableTimestamp;
  enqueued_at: NullableTimestamp;
}

export interface PaymentsTable {
  id: Id;
  intake_id: string;
  utr: string;
  loan_id: number;
  amount_paise: Int8;
  value_date: BusinessDate;
  mode: PaymentMode;
  status: Generated<PaymentStatus>;
  posted_on: BusinessDate;
  posted_at: CreatedAt;
  reversed_at: NullableTimestamp;
  reversed_by: string | null;
  reversal_reason: string | null;
}

export interface PaymentAllocationsTable {
  id: Id;
  payment_id: number;
  component: 'CHARGE' | 'INTEREST' | 'PRINCIPAL';
  installment_id: number | null;
  charge_id: number | null;
  amount_paise: Int8;
}

export interface JobRunsTable {
  id: Id;
  kind: RunKind;
  business_date: BusinessDate;
  trigger: RunTrigger;
  triggered_by: string | null;
  status: Generated<RunStatus>;
  started_at: CreatedAt;
  finished_at: NullableTimestamp;
  chunks_total: number | null;
  chunks_done: Generated<number>;
  loans_scanned: Generated<number>;
  dpd_changed: Generated<number>;
  bucket_changes: Generated<number>;
  escalations: Generated<number>;
  stats: ColumnType<unknown, string | undefined, string>;
  error: string | null;
}

/** One finished chunk of a DPD run (migrations/0002-dpd.ts). */
export interface DpdRunChunksTable {
  run_id: number;
  chunk_no: number;
  from_borrower_id: Int8;
  to_borrower_id: number | null;
  loans_scanned: number;
  dpd_changed: number;
  bucket_changes: number;
  finished_at: CreatedAt;
}

export interface BucketHistoryTable {
  id: Id;
  loan_id: number;
  business_date: BusinessDate;
  from_bucket: string | null;
  to_bucket: string;
  dpd: number;
  cause: BucketCause;
  run_id: number | null;
  payment_id: number | null;
  recorded_at: CreatedAt;
}

export interface LegalCasesTable {
  id: Id;
  loan_id: number;
  borrower_id: number;
  status: Generated<'OPEN' | 'CLOSED'>;
  opened_on: BusinessDate;
  dpd_at_opening: number;
  outstanding_at_opening_paise: Int8;
  run_id: number | null;
  opened_at: CreatedAt;
  closed_at: NullableTimestamp;
  closed_reason: string | null;
}

export interface PromisesTable {
  id: Id;
  loan_id: number;
  collector_id: number | null;
  made_by: string;
  made_on: BusinessDate;
  made_at: CreatedAt;
  amount_paise: Int8;
  promised_on: BusinessDate;
  status: Generated<PromiseStatus>;
  superseded_by: number | null;
  paid_paise: number | null;
  resolved_on: BusinessDate | null;
}

export interface NotificationsTable {
  id: Id;
  kind: string;
  dedupe_key: string;
  /** `legal`: the legal team's, routed when delivered (LEGAL_NOTIFY_WEBHOOK_URL, else the log). */
  channel: 'log' | 'webhook' | 'legal';
  recipient: string;
  language: Generated<'en' | 'hi'>;
  loan_id: number | null;
  promise_id: number | null;
  installment_id: number | null;
  legal_case_id: number | null;
  payload: ColumnType<unknown, string | undefined, string>;
  status: Generated<NotificationStatus>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: NullableTimestamp;
  /** Borrower-facing: sent only within contact hours (migrations/0003-collections.ts). */
  contact_hours: Generated<boolean>;
  /** Not sent by then: EXPIRED. */
  send_by: NullableTimestamp;
  message: string | null;
}

export interface CollectorScoresTable {
  collector_id: number;
  business_date: BusinessDate;
  window_days: number;
  collected_paise: Int8;
  due_paise: Int8;
  collection_efficiency: number | null;
  promises_resolved: number;
  promises_kept: number;
  ptp_kept_rate: number | null;
  loans_delinquent: number;
  loans_cured: number;
  loans_rolled_forward: number;
  cure_rate: number | null;
  roll_forward_rate: number | null;
  score: number;
  weights: Json;
  run_id: number | null;
  computed_at: CreatedAt;
  loans_in_scope: Generated<number>;
}

export interface LoanEditsTable {
  id: Generated<string>;
  loan_id: number;
  changes: Json;
  status: Generated<'RECEIVED' | 'APPLIED' | 'REJECTED'>;
  reject_code: string | null;
  reject_message: string | null;
  requested_by: string;
  request_id: string | null;
  received_at: CreatedAt;
  processed_at: NullableTimestamp;
}

export interface QueueControlsTable {
  queue_name: string;
  paused: boolean;
  changed_by: string;
  reason: string | null;
  changed_at: Timestamp;
}

export interface AuditLogTable {
  id: Id;
  tx_id: GeneratedAlways<string>;
  occurred_at: CreatedAt;
  actor_type: 'user' | 'system';
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  before: NullableJson;
  after: NullableJson;
  metadata: NullableJson;
  request_id: string | null;
}

export interface AuditChainTable {
  seq: Int8;
  audit_id: number;
  prev_hash: string;
  hash: string;
  sealed_at: CreatedAt;
}

/** A run of the data-integrity check (migrations/0005-reports.ts). */
export interface IntegrityRunsTable {
  id: Id;
  trigger: RunTrigger;
  triggered_by: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  status: 'CLEAN' | 'FINDINGS';
  findings_total: number;
  checks: Json;
}

export interface IntegrityFindingsTable {
  id: Id;
  run_id: number;
  check_name: string;
  table_name: string;
  row_id: string;
  expected: string | null;
  actual: string | null;
  message: string;
}

export interface BankStatementsTable {
  id: Id;
  file_name: string | null;
  layout: string;
  from_date: BusinessDate;
  to_date: BusinessDate;
  lines: number;
  matched: number;
  amount_mismatch: number;
  in_bank_not_posted: number;
  posted_not_in_bank: number;
  no_utr: Generated<number>;
  bank_total_paise: Int8;
  posted_total_paise: Int8;
  imported_by: string;
  request_id: string | null;
  imported_at: CreatedAt;
}

export interface BankStatementLinesTable {
  id: Id;
  statement_id: number;
  row_no: number;
  value_date: BusinessDate;
  /** The reference as the statement writes it. */
  reference: string;
  /** The reference as a UTR in its matching form (utrMatchKey); null when it is no UTR. */
  utr: string | null;
  amount_paise: Int8;
  narration: string | null;
}

export type ReconciliationOutcome = 'MATCHED' | 'AMOUNT_MISMATCH' | 'IN_BANK_NOT_POSTED' | 'POSTED_NOT_IN_BANK' | 'NO_UTR';

export interface ReconciliationItemsTable {
  id: Id;
  statement_id: number;
  outcome: ReconciliationOutcome;
  /** The payment's UTR, else the statement line's; null for a NO_UTR line. */
  utr: string | null;
  /** The statement line's reference as written; null for a payment the statement does not show. */
  reference: string | null;
  line_id: number | null;
  row_no: number | null;
  payment_id: number | null;
  loan_id: number | null;
  bank_value_date: BusinessDate | null;
  bank_amount_paise: number | null;
  posted_value_date: BusinessDate | null;
  posted_amount_paise: number | null;
  note: string | null;
}

export interface Database {
  collectors: CollectorsTable;
  users: UsersTable;
  borrowers: BorrowersTable;
  loans: LoansTable;
  loan_allocations: LoanAllocationsTable;
  installments: InstallmentsTable;
  loan_charges: LoanChargesTable;
  payment_intake: PaymentIntakeTable;
  payments: PaymentsTable;
  payment_allocations: PaymentAllocationsTable;
  job_runs: JobRunsTable;
  dpd_run_chunks: DpdRunChunksTable;
  bucket_history: BucketHistoryTable;
  legal_cases: LegalCasesTable;
  promises: PromisesTable;
  notifications: NotificationsTable;
  collector_scores: CollectorScoresTable;
  loan_edits: LoanEditsTable;
  queue_controls: QueueControlsTable;
  audit_log: AuditLogTable;
  audit_chain: AuditChainTable;
  integrity_runs: IntegrityRunsTable;
  integrity_findings: IntegrityFindingsTable;
  bank_statements: BankStatementsTable;
  bank_statement_lines: BankStatementLinesTable;
  reconciliation_items: ReconciliationItemsTable;
}

export type Loan = Selectable<LoansTable>;
export type NewLoan = Insertable<LoansTable>;
export type LoanUpdate = Updateable<LoansTable>;
export type Installment = Selectable<InstallmentsTable>;
export type NewInstallment = Insertable<InstallmentsTable>;
export type Borrower = Selectable<BorrowersTable>;
export type NewBorrower = Insertable<BorrowersTable>;
export type NewAuditEntry = Insertable<AuditLogTable>;
