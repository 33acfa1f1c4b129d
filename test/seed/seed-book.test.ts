import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DEFAULT_BUCKET_TABLE, businessToday, classifyBorrowerLoans, type BusinessDate } from '@loanops/domain';
import { BookNotEmptyError, seedBook, type SeedOptions, type SeedSummary } from '@loanops/loan-book';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const LOANS = 3_000;
const today: BusinessDate = businessToday();
const options = (overrides: Partial<SeedOptions> = {}): SeedOptions => ({
  loans: LOANS,
  seed: 11,
  today,
  bucketTable: DEFAULT_BUCKET_TABLE,
  // Small batches, so the pipelined path (several COPY batches in flight) is what is tested.
  batchLoans: 700,
  ...overrides,
});

let book: TestDatabase;
let twin: TestDatabase;
let summary: SeedSummary;

beforeAll(async () => {
  [book, twin] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  summary = await seedBook(book.pool, options());
});

afterAll(async () => {
  await Promise.all([book?.drop(), twin?.drop()]);
});

async function rows<T>(db: TestDatabase, query: string): Promise<T[]> {
  return (await db.pool.query(query)).rows as T[];
}

/** The invariants of a seeded book, checked in SQL against what the installments say. */
async function expectConsistentBook(db: TestDatabase): Promise<void> {
  // DPD of every loan as its installments say it on its dpd_as_of (the seed's business date).
  expect(
    await rows(
      db,
      `SELECT l.loan_number, l.dpd, l.dpd_as_of
         FROM loans l
         LEFT JOIN LATERAL (
           SELECT min(i.due_on) AS oldest FROM installments i
            WHERE i.loan_id = l.id AND i.outstanding_paise > 0 AND i.due_on < l.dpd_as_of
         ) unpaid ON true
        WHERE l.dpd <> coalesce(l.dpd_as_of - unpaid.oldest, 0) OR l.dpd_as_of <> '${today}'`,
    ),
  ).toEqual([]);
  // Outstanding amounts are the unpaid parts of the installments.
  expect(
    await rows(
      db,
      `SELECT l.loan_number FROM loans l
         JOIN (SELECT loan_id, sum(principal_due_paise - principal_paid_paise) AS principal,
                      sum(interest_due_paise - interest_paid_paise) AS interest, count(*) AS n
                 FROM installments GROUP BY loan_id) s ON s.loan_id = l.id
        WHERE s.principal <> l.principal_outstanding_paise OR s.interest <> l.interest_outstanding_paise
           OR s.n <> l.tenure_months OR l.charges_outstanding_paise <> 0`,
    ),
  ).toEqual([]);
  // Closed loans: nothing outstanding, closed_at set, every installment paid.
  expect(
    await rows(
      db,
      `SELECT l.loan_number FROM loans l
        WHERE l.status = 'CLOSED'
          AND (l.total_outstanding_paise <> 0 OR l.closed_at IS NULL
               OR EXISTS (SELECT 1 FROM installments i WHERE i.loan_id = l.id AND i.paid_on IS NULL))`,
    ),
  ).toEqual([]);
  // Paid dates: never after today (installments paid ahead were paid on or before today).
  expect(await rows(db, `SELECT id FROM installments WHERE paid_on > '${today}'`)).toEqual([]);
  // Every loan has exactly its ONBOARDING row, to its bucket with its DPD.
  expect(
    await rows(
      db,
      `SELECT l.loan_number FROM loans l
        WHERE (SELECT count(*) FROM bucket_history h
                WHERE h.loan_id = l.id AND h.cause = 'ONBOARDING' AND h.from_bucket IS NULL
                  AND h.to_bucket = l.bucket AND h.dpd = l.dpd AND h.business_date = l.dpd_as_of) <> 1`,
    ),
  ).toEqual([]);
  // The allocation history has each loan's collector, from its disbursement, and nothing for a loan without one.
  expect(
    await rows(
      db,
      `SELECT l.loan_number FROM loans l
        WHERE (SELECT count(*) FROM loan_allocations a WHERE a.loan_id = l.id)
              <> (SELECT count(*) FROM loan_allocations a
                   WHERE a.loan_id = l.id AND a.collector_id = l.collector_id AND a.allocated_on = l.disbursed_on AND a.ended_on IS NULL)
           OR (l.collector_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM loan_allocations a WHERE a.loan_id = l.id))`,
    ),
  ).toEqual([]);
  // Borrower-wide NPA, and every live loan in the bucket the domain rule gives it.
  const live = await rows<{ id: number; borrower_id: number; dpd: number; bucket: string }>(
    db,
    `SELECT id, borrower_id, dpd, bucket FROM loans WHERE status IN ('ACTIVE', 'LEGAL') ORDER BY borrower_id, id`,
  );
  const byBorrower = new Map<number, typeof live>();
  for (const loan of live) byBorrower.set(loan.borrower_id, [...(byBorrower.get(loan.borrower_id) ?? []), loan]);
  const misplaced: number[] = [];
  for (const loans of byBorrower.values()) {
    const buckets = classifyBorrowerLoans(
      loans.map((loan) => ({ id: loan.id, dpd: loan.dpd, bucket: null })),
      DEFAULT_BUCKET_TABLE,
    );
    for (const loan of loans) if (buckets.get(loan.id) !== loan.bucket) misplaced.push(loan.id);
  }
  expect(misplaced).toEqual([]);
  expect(
    await rows(
      db,
      `SELECT borrower_id FROM loans WHERE status IN ('ACTIVE', 'LEGAL')
        GROUP BY borrower_id HAVING bool_or(bucket = 'NPA') AND NOT bool_and(bucket = 'NPA')`,
    ),
  ).toEqual([]);
  // The identity sequences are past every id used.
  const [sequences] = await rows<Record<string, boolean>>(
    db,
    `SELECT (SELECT last_value FROM collectors_id_seq) >= (SELECT max(id) FROM collectors) AS collectors,
            (SELECT last_value FROM borrowers_id_seq) >= (SELECT max(id) FROM borrowers) AS borrowers,
            (SELECT last_value FROM loans_id_seq) >= (SELECT max(id) FROM loans) AS loans,
            (SELECT last_value FROM installments_id_seq) >= (SELECT max(id) FROM installments) AS installments`,
  );
  expect(sequences).toEqual({ collectors: true, borrowers: true, loans: true, installments: true });
}

/** A fingerprint of the book that does not depend on ids. */
async function bookHash(db: TestDatabase): Promise<string> {
  const [row] = await rows<{ hash: string }>(
    db,
    `SELECT md5(string_agg(concat_ws('|', l.loan_number, l.principal_paise, l.annual_rate_bps, l.tenure_months,
                 l.disbursed_on, l.dpd, l.bucket, l.status, l.total_outstanding_paise, b.customer_ref, b.name, b.phone),
                 ',' ORDER BY l.loan_number)) AS hash
       FROM loans l JOIN borrowers b ON b.id = l.borrower_id`,
  );
  return row?.hash ?? '';
}

describe('seedBook', () => {
  it('writes the book it reports, over every bucket, with one BOOK_SEEDED audit entry', async () => {
    const [counts] = await rows<Record<string, number>>(
      book,
      `SELECT (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM borrowers) AS borrowers,
              (SELECT count(*) FROM collectors) AS collectors, (SELECT count(*) FROM installments) AS installments,
              (SELECT count(*) FROM bucket_history) AS history, (SELECT count(*) FROM loans WHERE status = 'CLOSED') AS closed`,
    );
    expect(counts).toEqual({
      loans: LOANS,
      borrowers: summary.borrowers,
      collectors: 5,
      installments: summary.installments,
      history: LOANS,
      closed: summary.closed,
    });
    expect(summary.borrowers).toBeLessThan(LOANS);

    const buckets = await rows<{ bucket: string; loans: number }>(
      book,
      `SELECT bucket, count(*) AS loans FROM loans WHERE status = 'ACTIVE' GROUP BY bucket ORDER BY bucket`,
    );
    expect(Object.fromEntries(buckets.map((row) => [row.bucket, row.loans]))).toEqual(summary.buckets);
    for (const bucket of DEFAULT_BUCKET_TABLE) expect(summary.buckets[bucket.name]).toBeGreaterThan(20);

    const [shapes] = await rows<Record<string, number>>(
      book,
      `SELECT count(DISTINCT l.id) FILTER (WHERE i.paid_on IS NOT NULL AND i.due_on >= '${today}' AND l.status = 'ACTIVE') AS paid_ahead,
              count(*) FILTER (WHERE i.paid_on IS NULL AND i.principal_paid_paise + i.interest_paid_paise > 0) AS part_paid,
              count(DISTINCT l.id) FILTER (WHERE l.bucket = 'NPA' AND l.dpd < 91) AS npa_by_borrower,
              count(DISTINCT l.collector_id) AS collectors
         FROM loans l JOIN installments i ON i.loan_id = l.id`,
    );
    expect(shapes?.paid_ahead).toBeGreaterThan(20);
    expect(shapes?.part_paid).toBeGreaterThan(20);
    expect(shapes?.npa_by_borrower).toBeGreaterThan(0);
    expect(shapes?.collectors).toBe(5);

    const audit = await book.db.selectFrom('audit_log').selectAll().execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'BOOK_SEEDED',
      entity_type: 'book',
      entity_id: summary.runId,
      actor_type: 'system',
      actor_id: 'seed',
    });
    expect(audit[0]?.after).toMatchObject({
      loans: LOANS,
      borrowers: summary.borrowers,
      installments: summary.installments,
      firstLoanNumber: 'LN0000001',
      lastLoanNumber: 'LN0003000',
      buckets: summary.buckets,
    });
  });

  it('leaves a book whose DPD, buckets and outstanding amounts are what the installments say', async () => {
    await expectConsistentBook(book);
  });

  it('builds the same book from the same seed', async () => {
    await seedBook(twin.pool, options());
    expect(await bookHash(twin)).toBe(await bookHash(book));
  });

  it('refuses to seed a book that has loans unless asked to append, and changes nothing', async () => {
    const before = await bookHash(book);
    const refused = seedBook(book.pool, options({ loans: 10 }));
    await expect(refused).rejects.toBeInstanceOf(BookNotEmptyError);
    await expect(refused).rejects.toMatchObject({ code: 'BOOK_NOT_EMPTY', existingLoans: LOANS });
    expect(await bookHash(book)).toBe(before);
    const [audit] = await rows<{ n: number }>(book, `SELECT count(*) AS n FROM audit_log`);
    expect(audit?.n).toBe(1);
  });

  it('appends after the highest loan number, with new collectors and borrowers numbered on', async () => {
    const appended = await seedBook(book.pool, options({ loans: 500, append: true, collectors: 2, seed: 12 }));
    expect(appended).toMatchObject({ firstLoanNumber: 'LN0003001', lastLoanNumber: 'LN0003500', loans: 500, collectors: 2 });
    const [numbers] = await rows<Record<string, unknown>>(
      book,
      `SELECT count(*) AS loans, max(loan_number) AS last_loan,
              (SELECT max(code) FROM collectors) AS last_collector,
              (SELECT count(DISTINCT customer_ref) FROM borrowers) AS refs,
              (SELECT count(*) FROM borrowers) AS borrowers,
              (SELECT count(*) FROM audit_log WHERE action = 'BOOK_SEEDED') AS seeds
         FROM loans`,
    );
    expect(numbers).toEqual({
      loans: LOANS + 500,
      last_loan: 'LN0003500',
      last_collector: 'COL0007',
      refs: summary.borrowers + appended.borrowers,
      borrowers: summary.borrowers + appended.borrowers,
      seeds: 2,
    });
    await expectConsistentBook(book);
  });

  it('rolls back everything when the load fails half way', async () => {
    const before = await bookHash(twin);
    // A borrower inserted with an explicit id, past the sequence, where a later batch of the
    // seed will want it: the first batches load, then the primary key refuses a row.
    const [{ next } = { next: 0 }] = await rows<{ next: number }>(twin, `SELECT last_value + 1000 AS next FROM borrowers_id_seq`);
    await sql`INSERT INTO borrowers (id, name, phone) VALUES (${next}, ${'Explicit Id'}, ${'+919800000000'})`.execute(twin.db);
    const progress: number[] = [];
    const failed = seedBook(twin.pool, options({ loans: 2_000, append: true, onProgress: (p) => progress.push(p.loans) }));
    await expect(failed).rejects.toMatchObject({ code: '23505', constraint: 'borrowers_pkey' });
    expect(progress.length).toBeGreaterThan(0);
    await sql`DELETE FROM borrowers WHERE id = ${next}`.execute(twin.db);

    expect(await bookHash(twin)).toBe(before);
    const [counts] = await rows<Record<string, number>>(
      twin,
      `SELECT (SELECT count(*) FROM loans) AS loans, (SELECT count(*) FROM borrowers WHERE customer_ref IS NULL) AS strays,
              (SELECT count(*) FROM collectors) AS collectors, (SELECT count(*) FROM audit_log) AS audit`,
    );
    expect(counts).toEqual({ loans: LOANS, strays: 0, collectors: 5, audit: 1 });
  });
});
