import { sql, type Kysely } from 'kysely';

/**
 * The whole record of the product. What must never be true is a CHECK; a value the code
 * also validates (payment limits, UTR shape) is checked here again as the last line.
 * Money is bigint paise; business dates are `date` (IST calendar dates).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION loanops_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$;

    CREATE TABLE collectors (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      phone text CHECK (phone ~ '^\\+91[6-9][0-9]{9}$'),
      email text CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
      display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
      role text NOT NULL CHECK (role IN ('admin', 'ops', 'finance', 'collector', 'legal')),
      password_hash text NOT NULL,
      collector_id bigint REFERENCES collectors (id),
      disabled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_collector_role CHECK ((role = 'collector') = (collector_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));

    CREATE TABLE borrowers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_ref text UNIQUE CHECK (customer_ref ~ '^[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      phone text NOT NULL CHECK (phone ~ '^\\+91[6-9][0-9]{9}$'),
      email text CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
      address text CHECK (length(address) <= 500),
      pin_code text CHECK (pin_code ~ '^[1-9][0-9]{5}$'),
      language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'hi')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX borrowers_phone ON borrowers (phone);
    CREATE INDEX borrowers_pin_code ON borrowers (pin_code text_pattern_ops);

    CREATE TABLE loans (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_number text NOT NULL UNIQUE CHECK (loan_number ~ '^[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$'),
      borrower_id bigint NOT NULL REFERENCES borrowers (id),
      collector_id bigint REFERENCES collectors (id),
      principal_paise bigint NOT NULL CHECK (principal_paise > 0),
      annual_rate_bps integer NOT NULL CHECK (annual_rate_bps >= 0),
      tenure_months integer NOT NULL CHECK (tenure_months > 0),
      disbursed_on date NOT NULL,
      first_due_on date NOT NULL,
      status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'LEGAL', 'CLOSED', 'WRITTEN_OFF')),
      dpd integer NOT NULL DEFAULT 0 CHECK (dpd >= 0),
      bucket text NOT NULL,
      dpd_as_of date NOT NULL,
      principal_outstanding_paise bigint NOT NULL CHECK (principal_outstanding_paise >= 0),
      interest_outstanding_paise bigint NOT NULL CHECK (interest_outstanding_paise >= 0),
      charges_outstanding_paise bigint NOT NULL DEFAULT 0 CHECK (charges_outstanding_paise >= 0),
      total_outstanding_paise bigint GENERATED ALWAYS AS
        (principal_outstanding_paise + interest_outstanding_paise + charges_outstanding_paise) STORED,
      tags text[] NOT NULL DEFAULT '{}',
      notes text CHECK (length(notes) <= 4000),
      source text NOT NULL DEFAULT 'API' CHECK (source IN ('API', 'IMPORT', 'SEED')),
      version integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      CONSTRAINT loans_first_due_after_disbursal CHECK (first_due_on > disbursed_on),
      CONSTRAINT loans_principal_not_above_loan CHECK (principal_outstanding_paise <= principal_paise),
      CONSTRAINT loans_closed_means_nothing_left CHECK (
        status <> 'CLOSED'
        OR (principal_outstanding_paise = 0 AND interest_outstanding_paise = 0 AND charges_outstanding_paise = 0)
      ),
      CONSTRAINT loans_closed_at CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
    );
    CREATE INDEX loans_borrower ON loans (borrower_id);
    CREATE INDEX loans_bucket ON loans (bucket, id);
    CREATE INDEX loans_status ON loans (status, id);
    CREATE INDEX loans_collector ON loans (collector_id, id) WHERE collector_id IS NOT NULL;
    CREATE INDEX loans_live ON loans (id) WHERE status IN ('ACTIVE', 'LEGAL');

    CREATE TABLE installments (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_id bigint NOT NULL REFERENCES loans (id),
      seq integer NOT NULL CHECK (seq > 0),
      due_on date NOT NULL,
      principal_due_paise bigint NOT NULL CHECK (principal_due_paise >= 0),
      interest_due_paise bigint NOT NULL CHECK (interest_due_paise >= 0),
      principal_paid_paise bigint NOT NULL DEFAULT 0,
      interest_paid_paise bigint NOT NULL DEFAULT 0,
      outstanding_paise bigint GENERATED ALWAYS AS
        (principal_due_paise - principal_paid_paise + interest_due_paise - interest_paid_paise) STORED,
      paid_on date,
      CONSTRAINT installments_loan_seq UNIQUE (loan_id, seq),
      CONSTRAINT installments_something_due CHECK (principal_due_paise + interest_due_paise > 0),
      CONSTRAINT installments_principal_paid_within_due
        CHECK (principal_paid_paise >= 0 AND principal_paid_paise <= principal_due_paise),
      CONSTRAINT installments_interest_paid_within_due
        CHECK (interest_paid_paise >= 0 AND interest_paid_paise <= interest_due_paise),
      CONSTRAINT installments_paid_on_when_paid CHECK (
        (paid_on IS NOT NULL)
        = (principal_paid_paise = principal_due_paise AND interest_paid_paise = interest_due_paise)
      )
    );
    -- The DPD rule reads the oldest unpaid installment of each loan.
    CREATE INDEX installments_unpaid ON installments (loan_id, due_on)
      WHERE principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise;
    CREATE INDEX installments_due_on ON installments (due_on)
      WHERE principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise;

    CREATE TABLE loan_charges (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_id bigint NOT NULL REFERENCES loans (id),
      kind text NOT NULL CHECK (kind IN ('BOUNCE', 'LATE_PAYMENT', 'LEGAL', 'OTHER')),
      levied_on date NOT NULL,
      amount_paise bigint NOT NULL CHECK (amount_paise > 0),
      paid_paise bigint NOT NULL DEFAULT 0,
      description text CHECK (length(description) <= 500),
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT loan_charges_paid_within_amount CHECK (paid_paise >= 0 AND paid_paise <= amount_paise)
    );
    CREATE INDEX loan_charges_open ON loan_charges (loan_id, levied_on) WHERE paid_paise < amount_paise;

    CREATE TABLE payment_intake (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      utr text NOT NULL CHECK (utr ~ '^[A-Z0-9]{12,22}$'),
      loan_id bigint NOT NULL REFERENCES loans (id),
      amount_paise bigint NOT NULL CHECK (amount_paise BETWEEN 100 AND 1000000000),
      value_date date NOT NULL,
      mode text NOT NULL CHECK (mode IN ('UPI', 'IMPS', 'NEFT', 'RTGS', 'NACH', 'CHEQUE', 'CASH')),
      status text NOT NULL DEFAULT 'RECEIVED' CHECK (status IN ('RECEIVED', 'POSTED', 'REJECTED')),
      reject_code text,
      reject_message text,
      payment_id bigint,
      received_by text NOT NULL,
      request_id text,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      enqueued_at timestamptz,
      CONSTRAINT payment_intake_rejected_has_code CHECK ((status = 'REJECTED') = (reject_code IS NOT NULL)),
      CONSTRAINT payment_intake_posted_has_payment CHECK ((status = 'POSTED') = (payment_id IS NOT NULL)),
      CONSTRAINT payment_intake_processed_at CHECK ((status = 'RECEIVED') = (processed_at IS NULL))
    );
    -- One live request per UTR: a rejected one may be resubmitted, anything else is a duplicate.
    CREATE UNIQUE INDEX payment_intake_live_utr ON payment_intake (utr) WHERE status <> 'REJECTED';
    CREATE INDEX payment_intake_waiting ON payment_intake (received_at) WHERE status = 'RECEIVED';

    CREATE TABLE payments (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      intake_id uuid NOT NULL UNIQUE REFERENCES payment_intake (id),
      utr text NOT NULL CHECK (utr ~ '^[A-Z0-9]{12,22}$'),
      loan_id bigint NOT NULL REFERENCES loans (id),
      amount_paise bigint NOT NULL CHECK (amount_paise BETWEEN 100 AND 1000000000),
      value_date date NOT NULL,
      mode text NOT NULL CHECK (mode IN ('UPI', 'IMPS', 'NEFT', 'RTGS', 'NACH', 'CHEQUE', 'CASH')),
      status text NOT NULL DEFAULT 'POSTED' CHECK (status IN ('POSTED', 'REVERSED')),
      posted_on date NOT NULL,
      posted_at timestamptz NOT NULL DEFAULT now(),
      reversed_at timestamptz,
      reversed_by text,
      reversal_reason text CHECK (length(reversal_reason) BETWEEN 3 AND 500),
      CONSTRAINT payments_reversal_recorded CHECK (
        (status = 'REVERSED') = (reversed_at IS NOT NULL AND reversal_reason IS NOT NULL AND reversed_by IS NOT NULL)
      )
    );
    -- A UTR is posted once, ever; a reversed payment keeps its UTR.
    CREATE UNIQUE INDEX payments_utr_key ON payments (utr);
    CREATE INDEX payments_loan ON payments (loan_id, value_date);
    ALTER TABLE payment_intake ADD CONSTRAINT payment_intake_payment_fk FOREIGN KEY (payment_id) REFERENCES payments (id);

    CREATE TABLE payment_allocations (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      payment_id bigint NOT NULL REFERENCES payments (id),
      component text NOT NULL CHECK (component IN ('CHARGE', 'INTEREST', 'PRINCIPAL')),
      installment_id bigint REFERENCES installments (id),
      charge_id bigint REFERENCES loan_charges (id),
      amount_paise bigint NOT NULL CHECK (amount_paise > 0),
      CONSTRAINT payment_allocations_one_target CHECK (
        (component = 'CHARGE' AND charge_id IS NOT NULL AND installment_id IS NULL)
        OR (component <> 'CHARGE' AND installment_id IS NOT NULL AND charge_id IS NULL)
      )
    );
    CREATE INDEX payment_allocations_payment ON payment_allocations (payment_id);
    CREATE INDEX payment_allocations_installment ON payment_allocations (installment_id) WHERE installment_id IS NOT NULL;

    CREATE TABLE job_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('DPD', 'SCORING', 'REMINDERS', 'INTEGRITY')),
      business_date date NOT NULL,
      trigger text NOT NULL CHECK (trigger IN ('SCHEDULE', 'MANUAL')),
      triggered_by text,
      status text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      chunks_total integer CHECK (chunks_total >= 0),
      chunks_done integer NOT NULL DEFAULT 0 CHECK (chunks_done >= 0),
      loans_scanned integer NOT NULL DEFAULT 0 CHECK (loans_scanned >= 0),
      dpd_changed integer NOT NULL DEFAULT 0 CHECK (dpd_changed >= 0),
      bucket_changes integer NOT NULL DEFAULT 0 CHECK (bucket_changes >= 0),
      escalations integer NOT NULL DEFAULT 0 CHECK (escalations >= 0),
      stats jsonb NOT NULL DEFAULT '{}',
      error text,
      CONSTRAINT job_runs_finished_at CHECK ((status = 'RUNNING') = (finished_at IS NULL)),
      CONSTRAINT job_runs_failed_has_error CHECK (status <> 'FAILED' OR error IS NOT NULL)
    );
    -- Once per business date: a date with a running or successful run takes no other.
    CREATE UNIQUE INDEX job_runs_once_per_date ON job_runs (kind, business_date)
      WHERE status IN ('RUNNING', 'SUCCEEDED');
    CREATE INDEX job_runs_recent ON job_runs (kind, started_at DESC);

    CREATE TABLE bucket_history (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_id bigint NOT NULL REFERENCES loans (id),
      business_date date NOT NULL,
      from_bucket text,
      to_bucket text NOT NULL,
      dpd integer NOT NULL CHECK (dpd >= 0),
      cause text NOT NULL CHECK (cause IN ('OPENING', 'DPD_RUN', 'PAYMENT', 'REVERSAL')),
      run_id bigint REFERENCES job_runs (id),
      payment_id bigint REFERENCES payments (id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT bucket_history_is_a_change CHECK (from_bucket IS DISTINCT FROM to_bucket),
      CONSTRAINT bucket_history_opening CHECK ((cause = 'OPENING') = (from_bucket IS NULL))
    );
    CREATE INDEX bucket_history_loan ON bucket_history (loan_id, business_date, id);
    CREATE INDEX bucket_history_date ON bucket_history (business_date);

    CREATE TABLE legal_cases (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_id bigint NOT NULL REFERENCES loans (id),
      borrower_id bigint NOT NULL REFERENCES borrowers (id),
      status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
      opened_on date NOT NULL,
      dpd_at_opening integer NOT NULL CHECK (dpd_at_opening >= 0),
      outstanding_at_opening_paise bigint NOT NULL CHECK (outstanding_at_opening_paise >= 0),
      run_id bigint REFERENCES job_runs (id),
      opened_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      closed_reason text,
      CONSTRAINT legal_cases_closed CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
    );
    -- Never two open cases for a loan.
    CREATE UNIQUE INDEX legal_cases_one_open ON legal_cases (loan_id) WHERE status = 'OPEN';
    CREATE INDEX legal_cases_status ON legal_cases (status, opened_on);

    CREATE TABLE promises (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      loan_id bigint NOT NULL REFERENCES loans (id),
      collector_id bigint REFERENCES collectors (id),
      made_by text NOT NULL,
      made_on date NOT NULL,
      made_at timestamptz NOT NULL DEFAULT now(),
      amount_paise bigint NOT NULL CHECK (amount_paise > 0),
      promised_on date NOT NULL,
      status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'KEPT', 'BROKEN', 'SUPERSEDED')),
      superseded_by bigint REFERENCES promises (id),
      paid_paise bigint CHECK (paid_paise >= 0),
      resolved_on date,
      CONSTRAINT promises_date_window CHECK (promised_on BETWEEN made_on AND made_on + 30),
      CONSTRAINT promises_resolved CHECK ((status = 'OPEN') = (resolved_on IS NULL)),
      CONSTRAINT promises_superseded CHECK ((status = 'SUPERSEDED') = (superseded_by IS NOT NULL))
    );
    -- One open promise per loan: a new one supersedes the old.
    CREATE UNIQUE INDEX promises_one_open ON promises (loan_id) WHERE status = 'OPEN';
    CREATE INDEX promises_due ON promises (promised_on) WHERE status = 'OPEN';
    CREATE INDEX promises_collector ON promises (collector_id, made_on);

    CREATE TABLE notifications (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL,
      -- What makes it once: (promise or installment, kind), or (legal case, kind).
      dedupe_key text NOT NULL UNIQUE,
      channel text NOT NULL CHECK (channel IN ('log', 'webhook')),
      recipient text NOT NULL,
      language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'hi')),
      loan_id bigint REFERENCES loans (id),
      promise_id bigint REFERENCES promises (id),
      installment_id bigint REFERENCES installments (id),
      legal_case_id bigint REFERENCES legal_cases (id),
      payload jsonb NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      CONSTRAINT notifications_sent_at CHECK ((status = 'SENT') = (sent_at IS NOT NULL))
    );
    CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

    CREATE TABLE collector_scores (
      collector_id bigint NOT NULL REFERENCES collectors (id),
      business_date date NOT NULL,
      window_days integer NOT NULL CHECK (window_days > 0),
      collected_paise bigint NOT NULL CHECK (collected_paise >= 0),
      due_paise bigint NOT NULL CHECK (due_paise >= 0),
      collection_efficiency numeric(9, 6),
      promises_resolved integer NOT NULL CHECK (promises_resolved >= 0),
      promises_kept integer NOT NULL CHECK (promises_kept >= 0),
      ptp_kept_rate numeric(9, 6),
      loans_delinquent integer NOT NULL CHECK (loans_delinquent >= 0),
      loans_cured integer NOT NULL CHECK (loans_cured >= 0),
      loans_rolled_forward integer NOT NULL CHECK (loans_rolled_forward >= 0),
      cure_rate numeric(9, 6),
      roll_forward_rate numeric(9, 6),
      score numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
      weights jsonb NOT NULL,
      run_id bigint REFERENCES job_runs (id),
      computed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (collector_id, business_date)
    );
    CREATE INDEX collector_scores_date ON collector_scores (business_date, score DESC);

    CREATE TABLE loan_edits (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      loan_id bigint NOT NULL REFERENCES loans (id),
      changes jsonb NOT NULL,
      status text NOT NULL DEFAULT 'RECEIVED' CHECK (status IN ('RECEIVED', 'APPLIED', 'REJECTED')),
      reject_code text,
      reject_message text,
      requested_by text NOT NULL,
      request_id text,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      CONSTRAINT loan_edits_rejected_has_code CHECK ((status = 'REJECTED') = (reject_code IS NOT NULL)),
      CONSTRAINT loan_edits_processed_at CHECK ((status = 'RECEIVED') = (processed_at IS NULL))
    );
    CREATE INDEX loan_edits_waiting ON loan_edits (received_at) WHERE status = 'RECEIVED';
    CREATE INDEX loan_edits_loan ON loan_edits (loan_id, received_at);

    CREATE TABLE queue_controls (
      queue_name text PRIMARY KEY,
      paused boolean NOT NULL,
      changed_by text NOT NULL,
      reason text,
      changed_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      -- The writing transaction: the chain is sealed in (tx_id, id) order once every
      -- transaction below the sealer's snapshot horizon has ended, so writers never wait on it.
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      actor_type text NOT NULL CHECK (actor_type IN ('user', 'system')),
      actor_id text,
      actor_role text,
      action text NOT NULL CHECK (action ~ '^[A-Z][A-Z0-9_]*$'),
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      before jsonb,
      after jsonb,
      metadata jsonb,
      request_id text,
      CONSTRAINT audit_log_user_actor CHECK (actor_type <> 'user' OR actor_id IS NOT NULL)
    );
    CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);
    CREATE INDEX audit_log_tx ON audit_log (tx_id, id);

    CREATE TABLE audit_chain (
      seq bigint PRIMARY KEY CHECK (seq > 0),
      audit_id bigint NOT NULL UNIQUE REFERENCES audit_log (id),
      prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      sealed_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE FUNCTION loanops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION loanops_refuse_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION loanops_refuse_change();
    CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
      FOR EACH ROW EXECUTE FUNCTION loanops_refuse_change();
    CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
      FOR EACH STATEMENT EXECUTE FUNCTION loanops_refuse_change();

    CREATE TRIGGER collectors_updated_at BEFORE UPDATE ON collectors
      FOR EACH ROW EXECUTE FUNCTION loanops_touch_updated_at();
    CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
      FOR EACH ROW EXECUTE FUNCTION loanops_touch_updated_at();
    CREATE TRIGGER borrowers_updated_at BEFORE UPDATE ON borrowers
      FOR EACH ROW EXECUTE FUNCTION loanops_touch_updated_at();
    CREATE TRIGGER loans_updated_at BEFORE UPDATE ON loans
      FOR EACH ROW EXECUTE FUNCTION loanops_touch_updated_at();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE audit_chain, audit_log, queue_controls, loan_edits, collector_scores, notifications,
      promises, legal_cases, bucket_history, job_runs, payment_allocations;
    ALTER TABLE payment_intake DROP CONSTRAINT payment_intake_payment_fk;
    DROP TABLE payments, payment_intake, loan_charges, installments, loans, borrowers, users, collectors;
    DROP FUNCTION loanops_refuse_change();
    DROP FUNCTION loanops_touch_updated_at();
  `.execute(db);
}
