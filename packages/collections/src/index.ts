export { CONTACT_HOURS, contactHoursEnd, isWithinContactHours, nextContactTime } from './rules/contact-hours.js';
export {
  PROMISE_HORIZON_DAYS,
  checkPromiseRules,
  judgePromise,
  paidTowardsPromise,
  type MadePromise,
  type PaymentOnLoan,
  type PromiseJudgement,
  type PromiseRuleBreach,
  type PromiseRuleCode,
} from './rules/promise-rules.js';
export {
  REMINDER_KINDS,
  installmentReminderRange,
  promiseReminderKind,
  reminderDedupeKey,
  reminderMessage,
  reminderSendBy,
  type ReminderKind,
} from './rules/reminders.js';
export {
  DEFAULT_RETRY_POLICY,
  afterFailedAttempt,
  isPermanentHttpFailure,
  retryDelayMs,
  type RetryPolicy,
} from './rules/delivery.js';
export {
  DEFAULT_SCORE_WEIGHTS,
  SCORE_WINDOW_DAYS,
  scoreCollector,
  scoreWeightsSchema,
  scoreWindow,
  type CollectorActivity,
  type CollectorScore,
  type ScoreWeights,
} from '@loanops/domain';
export { CollectorNotFoundError, LoansNotFoundError, PromiseRuleError } from './errors.js';
export {
  PROMISE_STATUSES,
  createPromise,
  listPromises,
  resolveDuePromises,
  type NewPromise,
  type PromiseContext,
  type PromiseFilters,
  type PromiseView,
} from './promises.js';
export { allocateLoans, listCollectors, type AllocationResult, type AllocationTarget, type CollectorView } from './allocation.js';
export { planReminders, type ReminderPlan } from './reminders.js';
export { DeliveryError, legalTeamChannel, logChannel, webhookChannel, type Channel, type Channels, type OutgoingNotification } from './channels.js';
export { deliverDueNotifications, outboxCounts, type DeliveryCounts, type DeliverySettings, type OutboxCounts } from './outbox.js';
export {
  collectorExists,
  collectorScoreHistory,
  computeCollectorScores,
  scoreLeaderboard,
  type CollectorScoreView,
  type ScoringSettings,
} from './scoring.js';
