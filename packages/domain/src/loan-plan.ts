import { allocatePayment } from './allocate-payment.js';
import { addMonths, type BusinessDate } from './business-date.js';
import { daysPastDue } from './dpd.js';
import { DegenerateScheduleError, generateEmiSchedule } from './emi-schedule.js';
import { LoanOpsError, ValidationError, type FieldIssue } from './errors.js';
import type { Paise } from './money.js';

export interface GivenInstallment {
  dueOn: BusinessDate;
  principalPaise: Paise;
  interestPaise: Paise;
}

export interface LoanTerms {
  principalPaise: Paise;
  annualRateBps: number;
  tenureMonths: number;
  disbursedOn: BusinessDate;
  firstDueOn?: BusinessDate | undefined;
  /** A schedule taken as given (books migrated from spreadsheets); else an EMI schedule. */
  installments?: readonly GivenInstallment[] | undefined;
  /**
   * What the borrower had already repaid before the loan came into this system (imports only),
   * applied like a payment: oldest installment first, interest before principal.
   */
  paidToDatePaise?: Paise | undefined;
}

export interface PlannedInstallment {
  seq: number;
  dueOn: BusinessDate;
  principalDuePaise: Paise;
  interestDuePaise: Paise;
  principalPaidPaise: Paise;
  interestPaidPaise: Paise;
}

export interface LoanPlan {
  firstDueOn: BusinessDate;
  installments: PlannedInstallment[];
  principalOutstandingPaise: Paise;
  interestOutstandingPaise: Paise;
  /** DPD on the business date the plan was made for. */
  dpd: number;
}

/** How long after disbursal the first installment may fall due (moratoriums included). */
export const MAX_MONTHS_TO_FIRST_DUE = 12;

/** The earliest disbursal date taken: catches a mistyped century without refusing a long home loan. */
export const EARLIEST_DISBURSAL = '1980-01-01';

/**
 * Checks a new loan's terms against each other and the calendar, builds or checks its
 * schedule, applies any repayment made before it was brought in, and computes its DPD on
 * `today`. Throws ValidationError naming each wrong field, or a 422 for terms that cannot
 * amortise.
 */
export function planLoan(terms: LoanTerms, today: BusinessDate): LoanPlan {
  const issues: FieldIssue[] = [];
  if (terms.disbursedOn > today) issues.push({ path: 'disbursedOn', message: `must not be after today (${today})` });
  if (terms.disbursedOn < EARLIEST_DISBURSAL) {
    issues.push({ path: 'disbursedOn', message: `must not be before ${EARLIEST_DISBURSAL}` });
  }

  const firstDueOn = terms.firstDueOn ?? terms.installments?.[0]?.dueOn ?? addMonths(terms.disbursedOn, 1);
  if (firstDueOn <= terms.disbursedOn) issues.push({ path: 'firstDueOn', message: 'must be after disbursedOn' });
  if (firstDueOn > addMonths(terms.disbursedOn, MAX_MONTHS_TO_FIRST_DUE)) {
    issues.push({ path: 'firstDueOn', message: `must be within ${MAX_MONTHS_TO_FIRST_DUE} months of disbursedOn` });
  }
  if (terms.installments !== undefined) issues.push(...checkGivenSchedule(terms, firstDueOn));
  if (issues.length > 0) throw new ValidationError(issues);

  let schedule: readonly GivenInstallment[];
  try {
    schedule =
      terms.installments ??
      generateEmiSchedule({
        principalPaise: terms.principalPaise,
        annualRateBps: terms.annualRateBps,
        tenureMonths: terms.tenureMonths,
        firstDueOn,
      });
  } catch (error) {
    if (error instanceof DegenerateScheduleError) {
      throw new LoanOpsError('DEGENERATE_SCHEDULE', error.message, { status: 422, cause: error });
    }
    throw error;
  }

  const installments: PlannedInstallment[] = schedule.map((inst, index) => ({
    seq: index + 1,
    dueOn: inst.dueOn,
    principalDuePaise: inst.principalPaise,
    interestDuePaise: inst.interestPaise,
    principalPaidPaise: 0,
    interestPaidPaise: 0,
  }));

  const paid = terms.paidToDatePaise ?? 0;
  if (paid > 0) {
    const allocation = allocatePayment(
      paid,
      [],
      installments.map((inst) => ({
        id: inst.seq,
        seq: inst.seq,
        dueOn: inst.dueOn,
        interestOutstandingPaise: inst.interestDuePaise,
        principalOutstandingPaise: inst.principalDuePaise,
      })),
    );
    if (!allocation.ok) {
      throw new ValidationError([
        { path: 'paidToDatePaise', message: `is more than the whole schedule (${allocation.outstandingPaise} paise)` },
      ]);
    }
    for (const part of allocation.allocations) {
      if (part.component === 'CHARGE') continue;
      const inst = installments[part.installmentId - 1];
      if (!inst) continue;
      if (part.component === 'INTEREST') inst.interestPaidPaise += part.amountPaise;
      else inst.principalPaidPaise += part.amountPaise;
    }
  }

  return { firstDueOn, installments, ...scheduleStanding(installments, today) };
}

/** What a schedule with its paid amounts leaves outstanding, and its DPD on `today`. */
export function scheduleStanding(
  installments: readonly PlannedInstallment[],
  today: BusinessDate,
): { principalOutstandingPaise: Paise; interestOutstandingPaise: Paise; dpd: number } {
  let principalOutstandingPaise = 0;
  let interestOutstandingPaise = 0;
  for (const inst of installments) {
    principalOutstandingPaise += inst.principalDuePaise - inst.principalPaidPaise;
    interestOutstandingPaise += inst.interestDuePaise - inst.interestPaidPaise;
  }
  const dpd = daysPastDue(
    installments.map((inst) => ({
      dueOn: inst.dueOn,
      outstandingPaise: inst.principalDuePaise - inst.principalPaidPaise + inst.interestDuePaise - inst.interestPaidPaise,
    })),
    today,
  );
  return { principalOutstandingPaise, interestOutstandingPaise, dpd };
}

function checkGivenSchedule(terms: LoanTerms, firstDueOn: BusinessDate): FieldIssue[] {
  const given = terms.installments ?? [];
  const issues: FieldIssue[] = [];
  if (given.length !== terms.tenureMonths) {
    issues.push({ path: 'installments', message: `has ${given.length} installments but tenureMonths is ${terms.tenureMonths}` });
  }
  if (terms.firstDueOn !== undefined && given[0] !== undefined && given[0].dueOn !== terms.firstDueOn) {
    issues.push({ path: 'firstDueOn', message: 'must be the first installment’s dueOn' });
  }
  let principal = 0;
  given.forEach((inst, index) => {
    principal += inst.principalPaise;
    if (inst.principalPaise + inst.interestPaise <= 0) {
      issues.push({ path: `installments.${index}`, message: 'must have something due' });
    }
    const previous = given[index - 1];
    if (previous !== undefined && inst.dueOn <= previous.dueOn) {
      issues.push({ path: `installments.${index}.dueOn`, message: 'must be after the previous installment’s dueOn' });
    }
  });
  if (given[0] !== undefined && given[0].dueOn !== firstDueOn) {
    issues.push({ path: 'installments.0.dueOn', message: 'must be the first due date' });
  }
  if (principal !== terms.principalPaise) {
    issues.push({
      path: 'installments',
      message: `principal parts sum to ${principal} paise, not principalPaise ${terms.principalPaise}`,
    });
  }
  return issues;
}
