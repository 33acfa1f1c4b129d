import { sql, type Kysely } from 'kysely';

/**
 * Statement credits whose reference is no UTR (interest, cash deposits, cheques, a blank cell) are
 * kept as lines of their own, reconciled as NO_UTR: a line keeps its reference as the bank wrote
 * it, and its UTR (in the form UTRs are matched in) only when there is one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE bank_statements ADD COLUMN no_utr integer NOT NULL DEFAULT 0;

    ALTER TABLE bank_statement_lines ADD COLUMN reference text;
    UPDATE bank_statement_lines SET reference = utr;
    ALTER TABLE bank_statement_lines
      ALTER COLUMN reference SET NOT NULL,
      ALTER COLUMN utr DROP NOT NULL,
      ADD CONSTRAINT bank_statement_lines_utr CHECK (utr ~ '^[A-Z0-9]{12,22}$');

    ALTER TABLE reconciliation_items ADD COLUMN reference text;
    UPDATE reconciliation_items SET reference = utr WHERE line_id IS NOT NULL;
    ALTER TABLE reconciliation_items
      ALTER COLUMN utr DROP NOT NULL,
      DROP CONSTRAINT reconciliation_items_outcome_check,
      ADD CONSTRAINT reconciliation_items_outcome_check
        CHECK (outcome IN ('MATCHED', 'AMOUNT_MISMATCH', 'IN_BANK_NOT_POSTED', 'POSTED_NOT_IN_BANK', 'NO_UTR')),
      DROP CONSTRAINT reconciliation_items_sides,
      ADD CONSTRAINT reconciliation_items_sides CHECK (
        (outcome IN ('MATCHED', 'AMOUNT_MISMATCH') AND line_id IS NOT NULL AND payment_id IS NOT NULL AND utr IS NOT NULL)
        OR (outcome = 'IN_BANK_NOT_POSTED' AND line_id IS NOT NULL AND utr IS NOT NULL)
        OR (outcome = 'POSTED_NOT_IN_BANK' AND line_id IS NULL AND payment_id IS NOT NULL AND utr IS NOT NULL)
        OR (outcome = 'NO_UTR' AND line_id IS NOT NULL AND payment_id IS NULL AND utr IS NULL)
      );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Statements holding credits without a UTR have no form before this migration: refuse rather
  // than drop those lines and leave their statements' counts and totals wrong.
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM bank_statement_lines WHERE utr IS NULL) THEN
        RAISE EXCEPTION 'bank statements hold credits without a UTR; delete those statements first';
      END IF;
    END $$;
    ALTER TABLE reconciliation_items
      DROP CONSTRAINT reconciliation_items_sides,
      ADD CONSTRAINT reconciliation_items_sides CHECK (
        (outcome IN ('MATCHED', 'AMOUNT_MISMATCH') AND line_id IS NOT NULL AND payment_id IS NOT NULL)
        OR (outcome = 'IN_BANK_NOT_POSTED' AND line_id IS NOT NULL)
        OR (outcome = 'POSTED_NOT_IN_BANK' AND line_id IS NULL AND payment_id IS NOT NULL)
      ),
      DROP CONSTRAINT reconciliation_items_outcome_check,
      ADD CONSTRAINT reconciliation_items_outcome_check
        CHECK (outcome IN ('MATCHED', 'AMOUNT_MISMATCH', 'IN_BANK_NOT_POSTED', 'POSTED_NOT_IN_BANK')),
      ALTER COLUMN utr SET NOT NULL,
      DROP COLUMN reference;
    ALTER TABLE bank_statement_lines
      DROP CONSTRAINT bank_statement_lines_utr,
      ALTER COLUMN utr SET NOT NULL,
      DROP COLUMN reference;
    ALTER TABLE bank_statements DROP COLUMN no_utr;
  `.execute(db);
}
