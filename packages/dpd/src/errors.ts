import { ConflictError, LoanOpsError, type BusinessDate } from '@loanops/domain';
import type { DpdRunView } from './run-queries.js';

/** The date already has a RUNNING or SUCCEEDED run: 409, the run in details. */
export class DpdRunExistsError extends ConflictError {
  constructor(readonly run: DpdRunView) {
    super('DPD_RUN_EXISTS', `the DPD run of ${run.businessDate} is ${run.status} (run ${run.id}); a date runs once`, { run });
    this.name = 'DpdRunExistsError';
  }
}

/** A later date already ran: its catch-up covered this one. 409, that run in details. */
export class DpdRunSupersededError extends ConflictError {
  constructor(
    readonly businessDate: BusinessDate,
    readonly run: DpdRunView,
  ) {
    super(
      'DPD_RUN_SUPERSEDED',
      `the DPD run of ${run.businessDate} (run ${run.id}, ${run.status}) is later than ${businessDate}; runs only move forward`,
      { run },
    );
    this.name = 'DpdRunSupersededError';
  }
}

/** A business date after today (IST): 422. */
export class FutureBusinessDateError extends LoanOpsError {
  constructor(businessDate: BusinessDate, today: BusinessDate) {
    super('FUTURE_BUSINESS_DATE', `${businessDate} is after today (${today}, IST)`, {
      details: [{ path: 'businessDate', message: `must be ${today} or earlier` }],
    });
    this.name = 'FutureBusinessDateError';
  }
}

/** The run was recorded but its jobs could not be enqueued (Redis unreachable): it is FAILED; try again. 503. */
export class DpdRunNotEnqueuedError extends LoanOpsError {
  constructor(readonly runId: number, cause: unknown) {
    super('QUEUE_UNAVAILABLE', `DPD run ${runId} could not be enqueued and was marked FAILED; try again shortly`, {
      status: 503,
      retryable: true,
      cause,
    });
    this.name = 'DpdRunNotEnqueuedError';
  }
}
