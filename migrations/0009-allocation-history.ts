import { sql, type Kysely } from 'kysely';

/**
 * Who held each loan on each business date, so a collector's score counts the payments, dues and
 * bucket moves of the days they held a loan and not those of whoever holds it now.
 *
 * A period runs from `allocated_on` up to (not including) `ended_on`; the open one (`ended_on`
 * null) is the loan's collector now. A business date belongs to whoever held the loan at its
 * close: a loan moved on D is the new collector's from D on, and a period begun and ended on the
 * same day (moved twice in a day) is not kept. Triggers on `loans` write it, so every path that
 * sets `collector_id` (bulk allocation, loan edits, creation, import, seed) records it:
 *
 * - creating loans (one statement-level trigger per INSERT or COPY, reading its transition
 *   table): a loan created with a collector is taken to have had them since its disbursement,
 *   as the book has no earlier record of it;
 * - changing `collector_id` (a row trigger on UPDATE OF collector_id when it really changes):
 *   closes the open period on the business date of the change and opens the new one. A
 *   statement-level trigger with transition tables cannot name a column, so it would run on every
 *   payment and every DPD-run update of loans; the row trigger costs those nothing.
 *
 * The business date of a change is the IST (Asia/Kolkata) date of the transaction's start, unless
 * the writer set `loanops.business_date` (YYYY-MM-DD) for its transaction (set_config(…, true);
 * see packages/db/src/business-date.ts). A change dated before the open period's start is refused.
 *
 * btree_gist gives the exclusion constraint its `loan_id WITH =`: no two periods of a loan overlap,
 * hence at most one is open.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS btree_gist;

    CREATE TABLE loan_allocations (
      loan_id bigint NOT NULL REFERENCES loans (id),
      collector_id bigint NOT NULL REFERENCES collectors (id),
      allocated_on date NOT NULL,
      ended_on date,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (loan_id, allocated_on),
      CONSTRAINT loan_allocations_period CHECK (ended_on > allocated_on),
      CONSTRAINT loan_allocations_no_overlap EXCLUDE USING gist (loan_id WITH =, daterange(allocated_on, ended_on) WITH &&)
    );

    CREATE FUNCTION loanops_business_date() RETURNS date LANGUAGE plpgsql STABLE AS $$
    DECLARE
      given text := nullif(current_setting('loanops.business_date', true), '');
    BEGIN
      IF given IS NULL THEN
        RETURN (transaction_timestamp() AT TIME ZONE 'Asia/Kolkata')::date;
      END IF;
      IF given !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        RAISE EXCEPTION 'loanops.business_date must be a date written YYYY-MM-DD, not %', given
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      RETURN given::date;
    END $$;

    CREATE FUNCTION loanops_record_first_allocations() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      today date := loanops_business_date();
    BEGIN
      INSERT INTO loan_allocations (loan_id, collector_id, allocated_on)
      SELECT id, collector_id, least(disbursed_on, today) FROM created_loans WHERE collector_id IS NOT NULL;
      RETURN NULL;
    END $$;

    CREATE FUNCTION loanops_record_reallocation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      today date := loanops_business_date();
      started date;
    BEGIN
      UPDATE loan_allocations SET ended_on = today
      WHERE loan_id = NEW.id AND ended_on IS NULL AND allocated_on < today;
      IF NOT FOUND THEN
        -- An open period begun today held the loan at no day's close: the new holder replaces it.
        DELETE FROM loan_allocations WHERE loan_id = NEW.id AND ended_on IS NULL RETURNING allocated_on INTO started;
        IF started > today THEN
          RAISE EXCEPTION 'loan % is allocated since %, so its allocation cannot change on %', NEW.id, started, today
            USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      IF NEW.collector_id IS NOT NULL THEN
        -- Back to the collector whose period ended today: theirs again, without a gap.
        UPDATE loan_allocations SET ended_on = NULL
        WHERE loan_id = NEW.id AND ended_on = today AND collector_id = NEW.collector_id;
        IF NOT FOUND THEN
          INSERT INTO loan_allocations (loan_id, collector_id, allocated_on) VALUES (NEW.id, NEW.collector_id, today);
        END IF;
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER loans_first_allocations AFTER INSERT ON loans
      REFERENCING NEW TABLE AS created_loans
      FOR EACH STATEMENT EXECUTE FUNCTION loanops_record_first_allocations();
    CREATE TRIGGER loans_reallocation AFTER UPDATE OF collector_id ON loans
      FOR EACH ROW WHEN (OLD.collector_id IS DISTINCT FROM NEW.collector_id)
      EXECUTE FUNCTION loanops_record_reallocation();

    -- What came before this migration is unknown: each loan's present collector is taken to have
    -- held it since its disbursement (what the scores assumed until now).
    INSERT INTO loan_allocations (loan_id, collector_id, allocated_on)
    SELECT id, collector_id, disbursed_on FROM loans WHERE collector_id IS NOT NULL;
  `.execute(db);
}

/** The extension stays: it may have been there before, and other schemas may use it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER loans_reallocation ON loans;
    DROP TRIGGER loans_first_allocations ON loans;
    DROP FUNCTION loanops_record_reallocation();
    DROP FUNCTION loanops_record_first_allocations();
    DROP FUNCTION loanops_business_date();
    DROP TABLE loan_allocations;
  `.execute(db);
}
