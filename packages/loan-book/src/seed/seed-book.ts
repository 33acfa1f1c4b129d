import { setImmediate as nextTurn } from 'node:timers/promises';
import { Kysely, PostgresDialect, sql, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { recordAudit, type Database } from '@loanops/db';
import { LoanOpsError, type BucketTable, type BusinessDate } from '@loanops/domain';
import { BatchRows, collectorRows, copyInto, idsNeeded, reserveIdRanges } from './copy-load.js';
import {
  defaultCollectorCount,
  generateBook,
  generateCollectors,
  loanNumberFor,
  type BookPiece,
  type BookSpec,
} from './generate-book.js';

export interface SeedOptions {
  loans: number;
  seed: number;
  /** The business date the book is built for (businessToday() in the CLI). */
  today: BusinessDate;
  bucketTable: BucketTable;
  /** Add to a book that already has loans, numbering after its highest LN number. */
  append?: boolean;
  /** Collectors to create; one per 2,000 loans (at least 5) when not given. */
  collectors?: number;
  /** Loans per COPY batch: bounds memory and each statement's queue of foreign-key checks. */
  batchLoans?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  loans: number;
  totalLoans: number;
  rows: number;
  elapsedMs: number;
}

export interface SeedSummary {
  runId: string;
  today: BusinessDate;
  seed: number;
  firstLoanNumber: string | null;
  lastLoanNumber: string | null;
  collectors: number;
  borrowers: number;
  loans: number;
  installments: number;
  bucketHistory: number;
  /** Live loans per bucket, every bucket of the table listed. */
  buckets: Record<string, number>;
  closed: number;
  paidAhead: number;
  partiallyPaid: number;
  /** Every row written, the audit entry included. */
  rows: number;
  elapsedMs: number;
  /**
   * How long the connection spent in COPY. Close to elapsedMs means Postgres was the bound
   * (the generator kept ahead of it); well below means generating the rows was.
   */
  copyMs: number;
}

/** The book already has loans and the caller did not ask to append. */
export class BookNotEmptyError extends LoanOpsError {
  constructor(readonly existingLoans: number) {
    super(
      'BOOK_NOT_EMPTY',
      `the book already has ${existingLoans} loans; pass --append to add to it, or seed a fresh database`,
      { status: 409, details: { existingLoans } },
    );
    this.name = 'BookNotEmptyError';
  }
}

const PIECE_LOANS = 1_000;
const DEFAULT_BATCH_LOANS = 5_000;
const BOOK_TABLES = 'collectors, borrowers, loans, installments, bucket_history';

/**
 * Builds a demo book with COPY, in one transaction: all of it or none. `pool` must be able to
 * lend two connections: one carries the transaction, the other reserves id ranges from the
 * sequences (which are outside transactions anyway), so that while Postgres takes one batch,
 * the next is generated, given its ids and formatted.
 *
 * There is deliberately no reset: the audit log refuses TRUNCATE and DELETE, so emptying the
 * book would leave audit entries about loans that no longer exist. A fresh book is a fresh
 * database.
 */
export async function seedBook(pool: pg.Pool, options: SeedOptions): Promise<SeedSummary> {
  const batchLoans = options.batchLoans ?? DEFAULT_BATCH_LOANS;
  if (!Number.isSafeInteger(batchLoans) || batchLoans < 1) throw new RangeError('batchLoans must be a whole number ≥ 1');
  const started = performance.now();
  const client = await pool.connect();
  let side: pg.PoolClient | undefined;
  let inFlight: Promise<void> | undefined;
  let broken = false;
  try {
    side = await pool.connect();
    await client.query('BEGIN');
    // Writers wait until the seed commits; readers carry on.
    await client.query(`LOCK TABLE ${BOOK_TABLES} IN SHARE ROW EXCLUSIVE MODE`);
    const db = kyselyOn(client);
    const start = await bookStart(db);
    if (start.loans > 0 && !options.append) throw new BookNotEmptyError(start.loans);

    const spec: BookSpec = {
      loans: options.loans,
      seed: options.seed,
      today: options.today,
      bucketTable: options.bucketTable,
      collectors: options.collectors ?? defaultCollectorCount(options.loans),
      firstLoanOrdinal: start.lastLoanOrdinal + 1,
      firstBorrowerOrdinal: start.lastBorrowerOrdinal + 1,
      firstCollectorOrdinal: start.lastCollectorOrdinal + 1,
    };
    const summary = emptySummary(spec);
    const progress = (): void =>
      options.onProgress?.({
        loans: summary.loans,
        totalLoans: spec.loans,
        rows: summary.rows,
        elapsedMs: performance.now() - started,
      });

    const collectors = generateCollectors(spec);
    const collectorIds = await reserveIdRanges(side, { collectors: collectors.length });
    const firstCollectorId = collectorIds.collectors ?? 0;
    if (collectors.length > 0) await copyInto(client, 'collectors', collectorRows(collectors, firstCollectorId));
    summary.collectors = collectors.length;
    summary.rows += collectors.length;

    const pieces = generateBook(spec, PIECE_LOANS);
    const sideClient = side;
    for (;;) {
      const batch = await nextBatch(pieces, batchLoans, sideClient, firstCollectorId, spec.today);
      if (inFlight) await inFlight;
      if (!batch) break;
      const copyStarted = performance.now();
      inFlight = loadBatch(client, batch).then(() => {
        summary.copyMs += performance.now() - copyStarted;
        countBatch(summary, batch);
        progress();
      });
      // Marked handled now; it is awaited (and throws) after the next batch is built.
      inFlight.catch(() => undefined);
    }
    inFlight = undefined;

    summary.elapsedMs = performance.now() - started;
    // One entry for the whole seed, not one per loan: a seeded book is demo data made by one
    // command, and a million LOAN_CREATED entries would bury the audit trail of real actions
    // (and double the load). The entry names the run and what it wrote.
    await recordAudit(db, {
      actor: { type: 'system', id: 'seed' },
      action: 'BOOK_SEEDED',
      entityType: 'book',
      entityId: summary.runId,
      after: {
        seed: summary.seed,
        today: summary.today,
        firstLoanNumber: summary.firstLoanNumber,
        lastLoanNumber: summary.lastLoanNumber,
        collectors: summary.collectors,
        borrowers: summary.borrowers,
        loans: summary.loans,
        installments: summary.installments,
        bucketHistory: summary.bucketHistory,
        buckets: summary.buckets,
        closed: summary.closed,
        paidAhead: summary.paidAhead,
        partiallyPaid: summary.partiallyPaid,
      },
      metadata: { append: options.append ?? false, existingLoans: start.loans },
    });
    summary.rows += 1;
    await client.query('COMMIT');
    summary.elapsedMs = performance.now() - started;
    progress();
    return summary;
  } catch (error) {
    await inFlight?.catch(() => undefined);
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
    side?.release();
  }
}

interface BookStart {
  loans: number;
  lastLoanOrdinal: number;
  lastBorrowerOrdinal: number;
  lastCollectorOrdinal: number;
}

/** How big the book is and where the seed's numbering (LN…, CU…, COL…) stands. */
async function bookStart(db: Kysely<Database>): Promise<BookStart> {
  const result = await sql<{ loans: number; last_loan: number; last_borrower: number; last_collector: number }>`
    SELECT
      (SELECT count(*) FROM loans) AS loans,
      (SELECT coalesce(max(substring(loan_number FROM '^LN([0-9]{1,15})$')::bigint), 0) FROM loans) AS last_loan,
      (SELECT coalesce(max(substring(customer_ref FROM '^CU([0-9]{1,15})$')::bigint), 0) FROM borrowers) AS last_borrower,
      (SELECT coalesce(max(substring(code FROM '^COL([0-9]{1,15})$')::bigint), 0) FROM collectors) AS last_collector
  `.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('no row from the book query');
  return {
    loans: Number(row.loans),
    lastLoanOrdinal: Number(row.last_loan),
    lastBorrowerOrdinal: Number(row.last_borrower),
    lastCollectorOrdinal: Number(row.last_collector),
  };
}

/** Kysely on the one connection that holds the transaction (for typed queries and recordAudit). */
function kyselyOn(client: pg.PoolClient): Kysely<Database> {
  const handle = {
    query: client.query.bind(client),
    release: () => undefined,
  } as unknown as PostgresPoolClient;
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect: async () => handle, end: async () => undefined } }),
  });
}

interface BatchStats {
  closed: number;
  paidAhead: number;
  partiallyPaid: number;
  buckets: Map<string, number>;
}

interface Batch {
  rows: BatchRows;
  stats: BatchStats;
}

/**
 * The next batch: each piece generated, given ids from its own reserved ranges and formatted
 * at once (so the objects of a piece die young), until the batch holds `batchLoans` loans. The
 * reservation round trips and a turn of the event loop between pieces keep the COPY in flight
 * fed. Null when the book is complete.
 */
async function nextBatch(
  pieces: Iterator<BookPiece>,
  batchLoans: number,
  side: pg.ClientBase,
  firstCollectorId: number,
  today: BusinessDate,
): Promise<Batch | null> {
  const rows = new BatchRows(firstCollectorId, today);
  const stats: BatchStats = { closed: 0, paidAhead: 0, partiallyPaid: 0, buckets: new Map() };
  while (rows.loans.rows < batchLoans) {
    const next = pieces.next();
    if (next.done) break;
    const piece = next.value;
    const reserved = await reserveIdRanges(side, idsNeeded(piece));
    rows.add(piece, {
      borrowers: reserved.borrowers ?? 0,
      loans: reserved.loans ?? 0,
      installments: reserved.installments ?? 0,
    });
    for (const loan of piece.loans) {
      if (loan.status === 'CLOSED') stats.closed += 1;
      else stats.buckets.set(loan.bucket, (stats.buckets.get(loan.bucket) ?? 0) + 1);
      if (loan.paidAhead) stats.paidAhead += 1;
      if (loan.partiallyPaid) stats.partiallyPaid += 1;
    }
    await nextTurn();
  }
  return rows.loans.rows === 0 ? null : { rows, stats };
}

/** Parents before children, so every foreign key finds its row. */
async function loadBatch(client: pg.ClientBase, batch: Batch): Promise<void> {
  await copyInto(client, 'borrowers', batch.rows.borrowers.finish());
  await copyInto(client, 'loans', batch.rows.loans.finish());
  await copyInto(client, 'installments', batch.rows.installments.finish());
  await copyInto(client, 'bucket_history', batch.rows.bucketHistory.finish());
}

function emptySummary(spec: BookSpec): SeedSummary {
  const first = spec.firstLoanOrdinal ?? 1;
  return {
    runId: `seed-${spec.seed}-${loanNumberFor(first)}`,
    today: spec.today,
    seed: spec.seed,
    firstLoanNumber: spec.loans > 0 ? loanNumberFor(first) : null,
    lastLoanNumber: spec.loans > 0 ? loanNumberFor(first + spec.loans - 1) : null,
    collectors: 0,
    borrowers: 0,
    loans: 0,
    installments: 0,
    bucketHistory: 0,
    buckets: Object.fromEntries(spec.bucketTable.map((bucket) => [bucket.name, 0])),
    closed: 0,
    paidAhead: 0,
    partiallyPaid: 0,
    rows: 0,
    elapsedMs: 0,
    copyMs: 0,
  };
}

function countBatch(summary: SeedSummary, { rows, stats }: Batch): void {
  summary.borrowers += rows.borrowers.rows;
  summary.loans += rows.loans.rows;
  summary.installments += rows.installments.rows;
  summary.bucketHistory += rows.bucketHistory.rows;
  summary.rows += rows.borrowers.rows + rows.loans.rows + rows.installments.rows + rows.bucketHistory.rows;
  summary.closed += stats.closed;
  summary.paidAhead += stats.paidAhead;
  summary.partiallyPaid += stats.partiallyPaid;
  for (const [bucket, loans] of stats.buckets) summary.buckets[bucket] = (summary.buckets[bucket] ?? 0) + loans;
}
