import { sql, type Kysely } from 'kysely';

/**
 * The daily DPD run's ledger of chunks. A chunk writes its row in the same transaction as its
 * loans' new standing, so a chunk run twice (a retried or stalled job) finds itself done, and the
 * run's totals are summed from here rather than from what the queue remembers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE dpd_run_chunks (
      run_id bigint NOT NULL REFERENCES job_runs (id),
      chunk_no integer NOT NULL CHECK (chunk_no >= 0),
      -- Borrower ids from .. to, inclusive; no upper end for the last chunk.
      from_borrower_id bigint NOT NULL,
      to_borrower_id bigint,
      loans_scanned integer NOT NULL CHECK (loans_scanned >= 0),
      dpd_changed integer NOT NULL CHECK (dpd_changed >= 0),
      bucket_changes integer NOT NULL CHECK (bucket_changes >= 0),
      finished_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, chunk_no),
      CONSTRAINT dpd_run_chunks_range CHECK (to_borrower_id IS NULL OR to_borrower_id >= from_borrower_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE dpd_run_chunks`.execute(db);
}
