import { LoanOpsError } from '@loanops/domain';
import type { PromiseRuleBreach } from './rules/promise-rules.js';

/** A promise that breaks a rule (amount, date, loan status): 422 with the first breach's code, all in details. */
export class PromiseRuleError extends LoanOpsError {
  constructor(readonly breaches: readonly PromiseRuleBreach[]) {
    const first = breaches[0] as PromiseRuleBreach;
    super(first.code, breaches.map((breach) => `${breach.path}: ${breach.message}`).join('; '), {
      status: 422,
      details: breaches.map(({ path, message, code }) => ({ path, message, code })),
    });
    this.name = 'PromiseRuleError';
  }
}

/** No active collector with that id: 422. */
export class CollectorNotFoundError extends LoanOpsError {
  constructor(collectorId: number) {
    super('COLLECTOR_NOT_FOUND', `no active collector with id ${collectorId}`, {
      status: 422,
      details: [{ path: 'collectorId', message: `no active collector with id ${collectorId}` }],
    });
    this.name = 'CollectorNotFoundError';
  }
}

/** Loans named in a bulk allocation that do not exist: 422 naming them; nothing is allocated. */
export class LoansNotFoundError extends LoanOpsError {
  constructor(readonly loanIds: readonly number[]) {
    super('LOAN_NOT_FOUND', `no loan with id ${loanIds.slice(0, 20).join(', ')}${loanIds.length > 20 ? ', …' : ''}`, {
      status: 422,
      details: [{ path: 'loanIds', message: `unknown loan ids: ${loanIds.join(', ')}` }],
    });
    this.name = 'LoansNotFoundError';
  }
}
