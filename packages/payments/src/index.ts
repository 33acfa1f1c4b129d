export {
  DuplicateUtrError,
  acceptPayment,
  acceptPayments,
  type AcceptedPayment,
  type IntakeRequest,
  type IntakeResult,
} from './accept-payment.js';
export { paymentRequestSchema, reversalRequestSchema, type PaymentRequest } from './payment-input.js';
export {
  postPayment,
  postPayments,
  type PostingContext,
  type PostingOutcome,
  type RejectionCode,
} from './post-payments.js';
export { reversePayment, type ReversalContext } from './reverse-payment.js';
export { findPayments, getIntake, getPayment, type IntakeView, type PaymentView } from './payment-queries.js';
export { findWaitingIntakes } from './sweep-intake.js';
export {
  lockBorrowerLoans,
  refreshStanding,
  standingChanges,
  type LockedLoan,
  type StandingChange,
} from './sql/loan-standing.js';
