import { addMonths, businessToday, type BusinessDate } from '@loanops/domain';
import { createLoan, type NewLoanInput } from '@loanops/loan-book';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';
import { acceptPayment, postPayment } from '@loanops/payments';
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

/** Noon IST on a business date: a moment that is that date in India whatever the server's zone. */
export const istNoon = (date: BusinessDate): Date => new Date(`${date}T06:30:00Z`);

/** A NEFT payment accepted and posted at noon IST of `on` (its value date), straight into the book (no HTTP, no queue). */
export async function payLoan(database: TestDatabase, loanId: number, amountPaise: number, on: BusinessDate, utr: string): Promise<number> {
  const { intakeId } = await acceptPayment(
    database.db,
    { utr, loanId, amountPaise, valueDate: on, mode: 'NEFT' },
    { receivedBy: 'finance:test', requestId: null, now: istNoon(on) },
  );
  const outcome = await postPayment(database.db, intakeId, { bucketTable: DEFAULT_BUCKET_TABLE, now: istNoon(on), actorId: 'test' });
  if (outcome.status !== 'POSTED') throw new Error(`payment ${utr} not posted: ${JSON.stringify(outcome)}`);
  return outcome.paymentId;
}
