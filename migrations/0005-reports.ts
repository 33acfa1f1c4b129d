import { sql, type Kysely } from 'kysely';

/**
 * The data-integrity check's runs and findings, and bank statements reconciled against the posted
 * payments. Findings and reconciliation items are written once, with their run or statement, in one
 * transaction: a run or a statement is either whole or absent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE integrity_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      trigger text NOT NULL CHECK (trigger IN ('SCHEDULE', 'MANUAL')),
      triggered_by text NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('CLEAN', 'FINDINGS')),
      findings_total integer NOT NULL CHECK (findings_total >= 0),
      -- Per check: rows found wrong (all of them, even beyond those stored).
      checks jsonb NOT NULL,
      CONSTRAINT integrity_runs_status CHECK ((status = 'CLEAN') = (findings_total = 0))
    );

    CREATE TABLE integrity_findings (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES integrity_runs (id),
      check_name text NOT NULL,
      table_name text NOT NULL,
      row_id text NOT NULL,
      expected text,
      actual text,
      message text NOT NULL
    );
    CREATE INDEX integrity_findings_run ON integrity_findings (run_id, id);

    CREATE TABLE bank_statements (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_name text CHECK (length(file_name) <= 200),
      layout text NOT NULL,
      from_date date NOT NULL,
      to_date date NOT NULL,
      lines integer NOT NULL CHECK (lines > 0),
      matched integer NOT NULL,
      amount_mismatch integer NOT NULL,
      in_bank_not_posted integer NOT NULL,
      posted_not_in_bank integer NOT NULL,
      bank_total_paise bigint NOT NULL,
      posted_total_paise bigint NOT NULL,
      imported_by text NOT NULL,
      request_id text,
      imported_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT bank_statements_range CHECK (from_date <= to_date)
    );

    CREATE TABLE bank_statement_lines (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      statement_id bigint NOT NULL REFERENCES bank_statements (id),
      row_no integer NOT NULL CHECK (row_no > 0),
      value_date date NOT NULL,
      utr text NOT NULL,
      amount_paise bigint NOT NULL CHECK (amount_paise > 0),
      narration text,
      UNIQUE (statement_id, utr)
    );

    CREATE TABLE reconciliation_items (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      statement_id bigint NOT NULL REFERENCES bank_statements (id),
      outcome text NOT NULL CHECK (outcome IN ('MATCHED', 'AMOUNT_MISMATCH', 'IN_BANK_NOT_POSTED', 'POSTED_NOT_IN_BANK')),
      utr text NOT NULL,
      line_id bigint REFERENCES bank_statement_lines (id),
      row_no integer,
      payment_id bigint REFERENCES payments (id),
      loan_id bigint REFERENCES loans (id),
      bank_value_date date,
      bank_amount_paise bigint,
      posted_value_date date,
      posted_amount_paise bigint,
      note text,
      CONSTRAINT reconciliation_items_sides CHECK (
        (outcome IN ('MATCHED', 'AMOUNT_MISMATCH') AND line_id IS NOT NULL AND payment_id IS NOT NULL)
        OR (outcome = 'IN_BANK_NOT_POSTED' AND line_id IS NOT NULL)
        OR (outcome = 'POSTED_NOT_IN_BANK' AND line_id IS NULL AND payment_id IS NOT NULL)
      )
    );
    CREATE INDEX reconciliation_items_statement ON reconciliation_items (statement_id, outcome, id);

    -- Payments posted within a statement's period, and collections by value date.
    CREATE INDEX payments_posted_value_date ON payments (value_date) WHERE status = 'POSTED';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX payments_posted_value_date;
    DROP TABLE reconciliation_items;
    DROP TABLE bank_statement_lines;
    DROP TABLE bank_statements;
    DROP TABLE integrity_findings;
    DROP TABLE integrity_runs;
  `.execute(db);
}
