import type { Selectable } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';

/** The loan as the API shows it (camelCase, paise, ISO dates). */
export interface LoanSummary {
  id: number;
  loanNumber: string;
  status: string;
  dpd: number;
  bucket: string;
  dpdAsOf: string;
  borrower: {
    id: number;
    customerRef: string | null;
    name: string;
    phone: string;
    email: string | null;
    address: string | null;
    pinCode: string | null;
    language: string;
  };
  collectorId: number | null;
  principalPaise: number;
  annualRateBps: number;
  tenureMonths: number;
  disbursedOn: string;
  firstDueOn: string;
  outstanding: { principalPaise: number; interestPaise: number; chargesPaise: number; totalPaise: number };
  tags: string[];
  notes: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export type InstallmentStatus = 'PAID' | 'OVERDUE' | 'DUE' | 'UPCOMING';

export interface InstallmentView {
  seq: number;
  dueOn: string;
  principalDuePaise: number;
  interestDuePaise: number;
  principalPaidPaise: number;
  interestPaidPaise: number;
  outstandingPaise: number;
  paidOn: string | null;
  status: InstallmentStatus;
}

export interface LoanView extends LoanSummary {
  outstanding: LoanSummary['outstanding'] & { overduePaise: number };
  installments: InstallmentView[];
}

export interface LoanRow {
  id: number;
  loan_number: string;
  status: string;
  dpd: number;
  bucket: string;
  dpd_as_of: string;
  collector_id: number | null;
  principal_paise: number;
  annual_rate_bps: number;
  tenure_months: number;
  disbursed_on: string;
  first_due_on: string;
  principal_outstanding_paise: number;
  interest_outstanding_paise: number;
  charges_outstanding_paise: number;
  total_outstanding_paise: number;
  tags: string[];
  notes: string | null;
  source: string;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  borrower_id: number;
  borrower_customer_ref: string | null;
  borrower_name: string;
  borrower_phone: string;
  borrower_email: string | null;
  borrower_address: string | null;
  borrower_pin_code: string | null;
  borrower_language: string;
}

export function toLoanSummary(row: LoanRow): LoanSummary {
  return {
    id: row.id,
    loanNumber: row.loan_number,
    status: row.status,
    dpd: row.dpd,
    bucket: row.bucket,
    dpdAsOf: row.dpd_as_of,
    borrower: {
      id: row.borrower_id,
      customerRef: row.borrower_customer_ref,
      name: row.borrower_name,
      phone: row.borrower_phone,
      email: row.borrower_email,
      address: row.borrower_address,
      pinCode: row.borrower_pin_code,
      language: row.borrower_language,
    },
    collectorId: row.collector_id,
    principalPaise: row.principal_paise,
    annualRateBps: row.annual_rate_bps,
    tenureMonths: row.tenure_months,
    disbursedOn: row.disbursed_on,
    firstDueOn: row.first_due_on,
    outstanding: {
      principalPaise: row.principal_outstanding_paise,
      interestPaise: row.interest_outstanding_paise,
      chargesPaise: row.charges_outstanding_paise,
      totalPaise: row.total_outstanding_paise,
    },
    tags: row.tags,
    notes: row.notes,
    source: row.source,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    closedAt: row.closed_at?.toISOString() ?? null,
  };
}

export function toInstallmentView(row: Selectable<Database['installments']>, today: BusinessDate): InstallmentView {
  const status: InstallmentStatus =
    row.outstanding_paise === 0 ? 'PAID' : row.due_on < today ? 'OVERDUE' : row.due_on === today ? 'DUE' : 'UPCOMING';
  return {
    seq: row.seq,
    dueOn: row.due_on,
    principalDuePaise: row.principal_due_paise,
    interestDuePaise: row.interest_due_paise,
    principalPaidPaise: row.principal_paid_paise,
    interestPaidPaise: row.interest_paid_paise,
    outstandingPaise: row.outstanding_paise,
    paidOn: row.paid_on,
    status,
  };
}
