import { sql, type Kysely } from 'kysely';

/**
 * Collections on top of the core schema's promises, notifications outbox and collector scores:
 * borrower-facing notifications keep to contact hours and lapse when their day has passed, a
 * promise records what was paid against it, and a score records the loans it was computed over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE notifications
      -- Borrower-facing messages go out only between 08:00 and 19:00 IST (RBI's contact hours).
      ADD COLUMN contact_hours boolean NOT NULL DEFAULT false,
      -- A reminder that could not go out by then is pointless (a "due today" sent tomorrow): EXPIRED.
      ADD COLUMN send_by timestamptz,
      ADD COLUMN message text CHECK (length(message) <= 2000),
      DROP CONSTRAINT notifications_status_check,
      ADD CONSTRAINT notifications_status_check CHECK (status IN ('PENDING', 'SENT', 'DEAD', 'EXPIRED'));

    ALTER TABLE collector_scores
      ADD COLUMN loans_in_scope integer NOT NULL DEFAULT 0 CHECK (loans_in_scope >= 0);
    CREATE INDEX collector_scores_history ON collector_scores (collector_id, business_date DESC);

    -- A new promise supersedes the open one: the old row points at the new before it exists, so the
    -- reference is checked at commit.
    ALTER TABLE promises ALTER CONSTRAINT promises_superseded_by_fkey DEFERRABLE INITIALLY DEFERRED;
    CREATE INDEX promises_loan ON promises (loan_id, made_at);
    CREATE INDEX promises_resolved ON promises (collector_id, resolved_on) WHERE status IN ('KEPT', 'BROKEN');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX promises_resolved;
    DROP INDEX promises_loan;
    ALTER TABLE promises ALTER CONSTRAINT promises_superseded_by_fkey NOT DEFERRABLE;
    DROP INDEX collector_scores_history;
    ALTER TABLE collector_scores DROP COLUMN loans_in_scope;
    UPDATE notifications SET status = 'DEAD', last_error = coalesce(last_error, 'expired') WHERE status = 'EXPIRED';
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_status_check,
      ADD CONSTRAINT notifications_status_check CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
      DROP COLUMN message,
      DROP COLUMN send_by,
      DROP COLUMN contact_hours;
  `.execute(db);
}
