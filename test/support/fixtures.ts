import { addMonths, businessToday, type BusinessDate } from '@loanops/domain';
import { createLoan, type NewLoanInput } from '@loanops/loan-book';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import type { TestDatabase } from './db.js';

let counter = 0;

/** A loan straight into the book (no HTTP), for tests about what happens to it next. */
export async function insertLoan(
  database: TestDatabase,
  overrides: Partial<NewLoanInput> = {},
  today: BusinessDate = businessToday(),
): Promise<number> {
  counter += 1;
  const input: NewLoanInput = {
    loanNumber: `FX${process.pid}-${counter}`,
    borrower: { name: 'Test Borrower', phone: '+919876500000', language: 'en' },
    principalPaise: 10_000_000,
    annualRateBps: 1_200,
    tenureMonths: 12,
    disbursedOn: addMonths(today, -1),
    ...overrides,
  };
  const created = await createLoan(database.db, input, {
    actor: { type: 'system', id: 'test' },
    today,
    bucketTable: DEFAULT_BUCKET_TABLE,
    source: 'API',
  });
  return created.id;
}
