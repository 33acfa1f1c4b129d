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
export {
  collectorCodeFor,
  customerRefFor,
  defaultCollectorCount,
  generateBook,
  generateCollectors,
  loanNumberFor,
  type BookPiece,
  type BookSpec,
  type SeedBorrower,
  type SeedCollector,
  type SeedInstallment,
  type SeedLoan,
  type SeedScenario,
} from './seed/generate-book.js';
export { createPrng, mixSeed, type Prng } from './seed/prng.js';
export {
  BookNotEmptyError,
  seedBook,
  type SeedOptions,
  type SeedProgress,
  type SeedSummary,
} from './seed/seed-book.js';
export {
  formatIssue,
  importBook,
  type ImportBookOptions,
  type ImportIssue,
  type ImportOutcome,
  type ImportProgress,
  type ImportReport,
} from './import/import-book.js';
export { ImportFileError, detectFormat, readWorkbookSheets, type BookFormat } from './import/read-rows.js';
export { LOAN_COLUMNS, REQUIRED_LOAN_COLUMNS, SCHEDULE_COLUMNS } from './import/columns.js';
export {
  applyLoanEdit,
  findWaitingEdits,
  getLoanEdit,
  loanEditSchema,
  submitLoanEdit,
  type EditOutcome,
  type LoanEdit,
  type LoanEditView,
} from './loan-edits.js';
