export {
  PAYMENT_LIMITS,
  PRINCIPAL_LIMITS,
  RATE_LIMITS,
  TENURE_LIMITS,
  formatRupees,
  isPaise,
  isPaymentAmountInRange,
  parsePercentToBps,
  parseRupees,
  type Paise,
} from './money.js';
export {
  BUSINESS_ZONE,
  addDays,
  addMonths,
  businessDateAt,
  businessToday,
  daysBetween,
  isBusinessDate,
  startOfBusinessDate,
  type BusinessDate,
} from './business-date.js';
export {
  DegenerateScheduleError,
  equatedMonthlyInstallment,
  generateEmiSchedule,
  monthlyInterest,
  type EmiTerms,
  type ScheduledInstallment,
} from './emi-schedule.js';
export { daysPastDue, type InstallmentArrear } from './dpd.js';
export {
  DEFAULT_BUCKET_TABLE,
  bucketForDpd,
  bucketTableSchema,
  classifyBorrowerLoans,
  npaBucket,
  performingBucketName,
  type Bucket,
  type BucketTable,
  type LoanStanding,
} from './buckets.js';
export {
  reclassifyBorrower,
  type BucketCrossing,
  type HeldStanding,
  type Reclassification,
} from './bucket-crossings.js';
export {
  allocatePayment,
  totalOutstanding,
  type Allocation,
  type AllocationComponent,
  type AllocationResult,
  type OpenCharge,
  type OpenInstallment,
} from './allocate-payment.js';
export { ConflictError, LoanOpsError, NotFoundError, ValidationError, type FieldIssue } from './errors.js';
export {
  LANGUAGES,
  REFERENCE_PATTERN,
  isPinCode,
  maskPhone,
  normalizeEmail,
  normalizeIndianMobile,
  type Language,
} from './contact.js';
export {
  EARLIEST_DISBURSAL,
  MAX_MONTHS_TO_FIRST_DUE,
  planLoan,
  scheduleStanding,
  type GivenInstallment,
  type LoanPlan,
  type LoanTerms,
  type PlannedInstallment,
} from './loan-plan.js';
export {
  MAX_BACKDATE_DAYS,
  PAYABLE_STATUSES,
  PAYMENT_MODES,
  checkPaymentRules,
  isUtr,
  normalizeUtr,
  utrMatchKey,
  utrSpellings,
  type PaymentModeName,
  type PaymentRuleBreach,
  type PaymentRuleCode,
} from './payment-rules.js';
export {
  PROTECTED_FIELD_RULES,
  findProtectedFields,
  foldFieldName,
  isProtectedFieldName,
} from './financial-guard.js';
export {
  DEFAULT_SCORE_WEIGHTS,
  SCORE_WINDOW_DAYS,
  scoreCollector,
  scoreWeightsSchema,
  scoreWindow,
  type CollectorActivity,
  type CollectorScore,
  type ScoreWeights,
} from './collector-score.js';
