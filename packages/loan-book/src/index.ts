export {
  LOAN_STATUSES,
  businessDateField,
  emailField,
  givenInstallmentSchema,
  languageField,
  newBorrowerSchema,
  newLoanSchema,
  notesField,
  phoneField,
  pinCodeField,
  referenceField,
  tagsField,
  type NewLoanInput,
  type NewLoanRequest,
} from './loan-input.js';
export {
  createLoan,
  createLoans,
  type CreateLoansContext,
  type CreateLoansResult,
  type CreatedLoan,
} from './create-loans.js';
export { findLoanId, getLoan, listLoans, type LoanFilters, type LoanPage, type LoanScope } from './loan-queries.js';
export { decodeCursor, encodeCursor } from './cursor.js';
export type { InstallmentStatus, InstallmentView, LoanSummary, LoanView } from './loan-view.js';
