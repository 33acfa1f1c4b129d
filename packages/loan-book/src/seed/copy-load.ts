import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BusinessDate } from '@loanops/domain';
import { CopyBuffer } from './copy-text.js';
import type { BookPiece, SeedCollector } from './generate-book.js';

/**
 * The SQL of the bulk load: reserving id ranges from the identity sequences and streaming rows
 * into the book's tables with COPY (text format). The tables keep their indexes, CHECKs and
 * foreign keys; COPY only saves the per-statement round trips and parsing of INSERTs.
 */

/** The tables whose ids the loader picks itself, from ranges reserved on their sequences. */
export type ReservedTable = 'collectors' | 'borrowers' | 'loans' | 'installments';

/**
 * Takes `count` consecutive ids from each table's identity sequence and returns the first of
 * each range; the sequences end past the ranges, so later inserts never collide with them.
 * Sequences are not transactional: run this on a connection of its own, and a rolled-back seed
 * only leaves a gap. nextval and setval are two steps, so a writer calling nextval in between
 * could be handed an id of the range; the seed's table locks make its insert wait and then fail,
 * which is why seeding is for a quiet database.
 */
export async function reserveIdRanges(
  client: pg.ClientBase,
  counts: Partial<Record<ReservedTable, number>>,
): Promise<Partial<Record<ReservedTable, number>>> {
  const wanted = (Object.entries(counts) as [ReservedTable, number][]).filter(([, count]) => count > 0);
  if (wanted.length === 0) return {};
  const columns = wanted.map(
    ([table], index) =>
      `setval(pg_get_serial_sequence('${table}', 'id'), nextval(pg_get_serial_sequence('${table}', 'id')) + $${index + 1} - 1) AS ${table}`,
  );
  const result = await client.query<Record<ReservedTable, string | number>>(
    `SELECT ${columns.join(', ')}`,
    wanted.map(([, count]) => count),
  );
  const row = result.rows[0];
  if (!row) throw new Error('reserving ids returned no row');
  return Object.fromEntries(wanted.map(([table, count]) => [table, Number(row[table]) - count + 1]));
}

const COLUMNS = {
  collectors: ['id', 'code', 'name', 'phone', 'email'],
  borrowers: ['id', 'customer_ref', 'name', 'phone', 'email', 'address', 'pin_code', 'language'],
  loans: [
    'id',
    'loan_number',
    'borrower_id',
    'collector_id',
    'principal_paise',
    'annual_rate_bps',
    'tenure_months',
    'disbursed_on',
    'first_due_on',
    'status',
    'dpd',
    'bucket',
    'dpd_as_of',
    'principal_outstanding_paise',
    'interest_outstanding_paise',
    'source',
    'closed_at',
  ],
  installments: [
    'id',
    'loan_id',
    'seq',
    'due_on',
    'principal_due_paise',
    'interest_due_paise',
    'principal_paid_paise',
    'interest_paid_paise',
    'paid_on',
  ],
  bucket_history: ['loan_id', 'business_date', 'from_bucket', 'to_bucket', 'dpd', 'cause'],
} as const;

export type CopyTable = keyof typeof COLUMNS;

/** Streams text-format rows into a table; resolves once Postgres has taken them all. */
export async function copyInto(client: pg.ClientBase, table: CopyTable, chunks: Iterable<Buffer>): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${COLUMNS[table].join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks), stream);
  return stream.rowCount;
}

export function collectorRows(collectors: readonly SeedCollector[], firstId: number): Buffer[] {
  const buffer = new CopyBuffer();
  collectors.forEach((collector, index) => {
    buffer.row([firstId + index, collector.code, collector.name, collector.phone, collector.email]);
  });
  return buffer.finish();
}

/** The first id of each table's range reserved for one piece. */
export interface PieceIds {
  borrowers: number;
  loans: number;
  installments: number;
}

/** How many ids of each table a piece needs. */
export function idsNeeded(piece: BookPiece): PieceIds {
  let installments = 0;
  for (const loan of piece.loans) installments += loan.installments.length;
  return { borrowers: piece.borrowers.length, loans: piece.loans.length, installments };
}

/** The COPY text of a batch of pieces, one buffer per table. */
export class BatchRows {
  readonly borrowers = new CopyBuffer();
  readonly loans = new CopyBuffer();
  readonly installments = new CopyBuffer();
  readonly bucketHistory = new CopyBuffer();

  /** `firstCollectorId`: the id of this run's first collector (collector indexes count from it). */
  constructor(
    private readonly firstCollectorId: number,
    private readonly today: BusinessDate,
  ) {}

  add(piece: BookPiece, ids: PieceIds): void {
    piece.borrowers.forEach((borrower, index) => {
      this.borrowers.row([
        ids.borrowers + index,
        borrower.customerRef,
        borrower.name,
        borrower.phone,
        borrower.email,
        borrower.address,
        borrower.pinCode,
        borrower.language,
      ]);
    });
    const { installments, bucketHistory, today } = this;
    let installmentId = ids.installments;
    piece.loans.forEach((loan, index) => {
      const loanId = ids.loans + index;
      this.loans.row([
        loanId,
        loan.loanNumber,
        ids.borrowers + loan.borrowerIndex,
        loan.collectorIndex === null ? null : this.firstCollectorId + loan.collectorIndex,
        loan.principalPaise,
        loan.annualRateBps,
        loan.tenureMonths,
        loan.disbursedOn,
        loan.firstDueOn,
        loan.status,
        loan.dpd,
        loan.bucket,
        today,
        loan.principalOutstandingPaise,
        loan.interestOutstandingPaise,
        'SEED',
        loan.closedAt,
      ]);
      // The bulk of the rows: integers and YYYY-MM-DD dates, written without escaping.
      for (const inst of loan.installments) {
        installments.int(installmentId).int(loanId).int(inst.seq).ascii(inst.dueOn);
        installments.int(inst.principalDuePaise).int(inst.interestDuePaise);
        installments.int(inst.principalPaidPaise).int(inst.interestPaidPaise);
        if (inst.paidOn === null) installments.nul();
        else installments.ascii(inst.paidOn);
        installments.end();
        installmentId += 1;
      }
      bucketHistory.int(loanId).ascii(today).nul().text(loan.bucket).int(loan.dpd).ascii('ONBOARDING').end();
    });
  }
}
