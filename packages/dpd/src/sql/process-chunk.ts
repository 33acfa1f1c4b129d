import { sql, type Transaction } from 'kysely';
import type { BucketCrossing, BusinessDate, HeldStanding } from '@loanops/domain';
import type { Database, RunStatus } from '@loanops/db';
import type { BorrowerRange } from './job-runs.js';

/**
 * The DPD run's SQL, one chunk (a range of borrowers) per transaction, each step one set-based
 * statement (no round trip per loan):
 *
 * 1. chunkState    — shares the run row (it cannot be closed under a working chunk) and says
 *                    whether this chunk already finished;
 * 2. lockChunkLoans — locks every loan of the chunk's borrowers, in id order, like every writer
 *                    (payments lock a borrower's loans the same way);
 * 3. readChunkStanding — only then reads the loans and their installments: under READ COMMITTED
 *                    this statement's snapshot is taken after the locks were granted, so a
 *                    payment that committed while the chunk waited is seen, and none can commit
 *                    until the chunk does;
 * 4. writeChunk    — new DPD and buckets, bucket-history rows and the chunk's ledger row, in one
 *                    statement.
 */

type Tx = Transaction<Database>;

export interface ChunkCounts {
  loansScanned: number;
  dpdChanged: number;
  bucketChanges: number;
}

export async function chunkState(
  trx: Tx,
  runId: number,
  chunkNo: number,
): Promise<{ status: RunStatus; done: ChunkCounts | null } | null> {
  const result = await sql<{
    status: RunStatus;
    loans_scanned: number | null;
    dpd_changed: number | null;
    bucket_changes: number | null;
  }>`
    SELECT r.status, c.loans_scanned, c.dpd_changed, c.bucket_changes
    FROM job_runs r
    LEFT JOIN dpd_run_chunks c ON c.run_id = r.id AND c.chunk_no = ${chunkNo}
    WHERE r.id = ${runId}
    FOR SHARE OF r`.execute(trx);
  const row = result.rows[0];
  if (!row) return null;
  const done =
    row.loans_scanned === null
      ? null
      : { loansScanned: row.loans_scanned, dpdChanged: row.dpd_changed ?? 0, bucketChanges: row.bucket_changes ?? 0 };
  return { status: row.status, done };
}

/**
 * Locks every loan of the borrowers in the range (closed ones too: a reversal can reopen one, and
 * every writer locks a borrower's loans as a whole), in id order. Returns how many it locked and
 * how many of them are live (FOR UPDATE sees each row as the last transaction that held it left it).
 */
export async function lockChunkLoans(trx: Tx, range: BorrowerRange): Promise<{ locked: number; live: number }> {
  const result = await sql<{ locked: number; live: number }>`
    SELECT count(*)::int AS locked, (count(*) FILTER (WHERE status IN ('ACTIVE', 'LEGAL')))::int AS live
    FROM (
      SELECT status FROM loans
      WHERE borrower_id >= ${range.from} AND (${range.to}::bigint IS NULL OR borrower_id <= ${range.to}::bigint)
      ORDER BY id
      FOR UPDATE
    ) AS locked`.execute(trx);
  return result.rows[0] ?? { locked: 0, live: 0 };
}

/**
 * The live loans of the range's borrowers as they stand, each with the due date of its oldest
 * installment not fully paid that fell due before `on` (one probe of the partial index
 * installments_unpaid per loan). Run after lockChunkLoans, so its snapshot includes whatever
 * committed while the chunk waited for its locks.
 *
 * Only borrowers with something to classify come back: a borrower all of whose live loans hold
 * DPD 0 in the performing bucket with nothing overdue keeps that standing (no rule moves it), so
 * its loans are counted by lockChunkLoans but not sent over.
 */
export async function readChunkStanding(
  trx: Tx,
  range: BorrowerRange,
  on: BusinessDate,
  performingBucket: string,
): Promise<(HeldStanding & { borrowerId: number })[]> {
  const result = await sql<{
    id: number;
    borrower_id: number;
    dpd: number;
    bucket: string;
    dpd_as_of: string;
    oldest: string | null;
  }>`
    WITH standing AS (
      SELECT l.id, l.borrower_id, l.dpd, l.bucket, l.dpd_as_of,
             (SELECT min(i.due_on) FROM installments i
               WHERE i.loan_id = l.id AND i.due_on < ${on}::date
                 AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
             ) AS oldest
      FROM loans l
      WHERE l.borrower_id >= ${range.from} AND (${range.to}::bigint IS NULL OR l.borrower_id <= ${range.to}::bigint)
        AND l.status IN ('ACTIVE', 'LEGAL')
    )
    SELECT id, borrower_id, dpd, bucket, dpd_as_of, oldest FROM standing
    WHERE borrower_id IN (
      SELECT borrower_id FROM standing WHERE oldest IS NOT NULL OR dpd <> 0 OR bucket <> ${performingBucket}
    )
    ORDER BY borrower_id, id`.execute(trx);
  return result.rows.map((row) => ({
    id: Number(row.id),
    borrowerId: Number(row.borrower_id),
    dpd: row.dpd,
    bucket: row.bucket,
    asOf: row.dpd_as_of,
    oldestUnpaidDueOn: row.oldest,
  }));
}

export interface ChunkWrite {
  runId: number;
  chunkNo: number;
  range: BorrowerRange;
  businessDate: BusinessDate;
  standings: { loanId: number; dpd: number; bucket: string }[];
  crossings: (BucketCrossing & { loanId: number })[];
  counts: ChunkCounts;
}

/**
 * Writes a chunk's result in one statement: the loans' new DPD and bucket (as of the run's date),
 * one bucket-history row per threshold crossed (dated the day it was crossed, cause DPD_RUN), and
 * the chunk's ledger row. False when the ledger already had the chunk (a second execution that
 * raced the first): the caller rolls back.
 */
export async function writeChunk(trx: Tx, write: ChunkWrite): Promise<boolean> {
  const { standings, crossings } = write;
  const result = await sql<{ chunk_no: number }>`
    WITH moved AS (
      UPDATE loans AS l
      SET dpd = v.dpd, bucket = v.bucket, dpd_as_of = ${write.businessDate}::date, version = l.version + 1
      FROM unnest(
        ${standings.map((s) => s.loanId)}::bigint[],
        ${standings.map((s) => s.dpd)}::int[],
        ${standings.map((s) => s.bucket)}::text[]
      ) AS v(id, dpd, bucket)
      WHERE l.id = v.id
    ),
    history AS (
      INSERT INTO bucket_history (loan_id, business_date, from_bucket, to_bucket, dpd, cause, run_id)
      SELECT h.loan_id, h.business_date, h.from_bucket, h.to_bucket, h.dpd, 'DPD_RUN', ${write.runId}
      FROM unnest(
        ${crossings.map((c) => c.loanId)}::bigint[],
        ${crossings.map((c) => c.date)}::date[],
        ${crossings.map((c) => c.from)}::text[],
        ${crossings.map((c) => c.to)}::text[],
        ${crossings.map((c) => c.dpd)}::int[]
      ) WITH ORDINALITY AS h(loan_id, business_date, from_bucket, to_bucket, dpd, n)
      ORDER BY h.n
    )
    INSERT INTO dpd_run_chunks (run_id, chunk_no, from_borrower_id, to_borrower_id, loans_scanned, dpd_changed, bucket_changes)
    VALUES (${write.runId}, ${write.chunkNo}, ${write.range.from}, ${write.range.to}::bigint,
            ${write.counts.loansScanned}, ${write.counts.dpdChanged}, ${write.counts.bucketChanges})
    ON CONFLICT (run_id, chunk_no) DO NOTHING
    RETURNING chunk_no`.execute(trx);
  return result.rows.length === 1;
}
