import { sql } from 'kysely';
import { addMonths, type BusinessDate } from '@loanops/domain';
import { getDpdRun, startDpdRun, type DpdRunView, type StartRunOutcome } from '@loanops/dpd';
import type { Queues } from '@loanops/queues';
import type { TestDatabase } from '../support/db.js';
import { insertLoan } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

/** Test helpers of the DPD run: loans with a schedule chosen by the test, runs and their outcome. */

let refSeq = 0;

/** A fresh customer reference, to give several loans one borrower. */
export function newCustomerRef(): string {
  refSeq += 1;
  return `CUST${process.pid}X${refSeq}`;
}

/**
 * A loan whose installments fall due on `dues` (one EMI of ₹1,000 + ₹100 interest each), created
 * (its standing computed) on `createdOn`, disbursed a month before the first due date.
 */
export async function loanWithDues(
  database: TestDatabase,
  dues: readonly BusinessDate[],
  createdOn: BusinessDate,
  options: { customerRef?: string } = {},
): Promise<number> {
  const first = dues[0] as BusinessDate;
  return insertLoan(
    database,
    {
      principalPaise: 100_000 * dues.length,
      tenureMonths: dues.length,
      disbursedOn: addMonths(first, -1),
      installments: dues.map((dueOn) => ({ dueOn, principalPaise: 100_000, interestPaise: 10_000 })),
      ...(options.customerRef ? { borrower: { name: 'Test Borrower', phone: '+919876500000', language: 'en', customerRef: options.customerRef } } : {}),
    },
    createdOn,
  );
}

export async function standingOf(database: TestDatabase, loanId: number) {
  return database.db
    .selectFrom('loans')
    .select(['dpd', 'bucket', 'status', 'dpd_as_of'])
    .where('id', '=', loanId)
    .executeTakeFirstOrThrow();
}

/** The loan's bucket history after onboarding: [date, from, to, dpd, cause]. */
export async function historyOf(database: TestDatabase, loanId: number): Promise<[string, string | null, string, number, string][]> {
  const rows = await database.db
    .selectFrom('bucket_history')
    .select(['business_date', 'from_bucket', 'to_bucket', 'dpd', 'cause'])
    .where('loan_id', '=', loanId)
    .where('cause', '<>', 'ONBOARDING')
    .orderBy('business_date')
    .orderBy('id')
    .execute();
  return rows.map((row) => [row.business_date, row.from_bucket, row.to_bucket, row.dpd, row.cause]);
}

export async function waitForRunEnd(database: TestDatabase, runId: number, timeoutMs = 30_000): Promise<DpdRunView> {
  return waitFor(
    async () => {
      const run = await getDpdRun(database.db, runId);
      return run.status === 'RUNNING' ? undefined : run;
    },
    { what: `DPD run ${runId} to end`, timeoutMs },
  );
}

/** Starts the run of `businessDate` as an admin would and waits for it to end. */
export async function runDpd(
  database: TestDatabase,
  queues: Queues,
  businessDate: BusinessDate,
  options: { chunkBorrowers?: number } = {},
): Promise<DpdRunView> {
  const outcome = await startRun(database, queues, businessDate, options);
  if (outcome.status !== 'STARTED') throw new Error(`run of ${businessDate} not started: ${outcome.status}`);
  return waitForRunEnd(database, outcome.run.id);
}

export function startRun(
  database: TestDatabase,
  queues: Queues,
  businessDate: BusinessDate,
  options: { chunkBorrowers?: number; chunkOptions?: { attempts?: number; backoff?: { type: 'fixed'; delay: number } } } = {},
): Promise<StartRunOutcome> {
  return startDpdRun(
    database.db,
    queues,
    { businessDate, trigger: 'MANUAL', actor: { type: 'user', id: 'test-admin', role: 'admin' } },
    { chunkBorrowers: options.chunkBorrowers ?? 2, ...(options.chunkOptions ? { chunkOptions: options.chunkOptions } : {}) },
  );
}

/** Marks every loan's standing as of `date` (for tests that start from a book already run up to it). */
export async function bookAsOf(database: TestDatabase, date: BusinessDate): Promise<void> {
  await sql`UPDATE loans SET dpd_as_of = ${date}::date`.execute(database.db);
}
