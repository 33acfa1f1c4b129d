import { sql, type Kysely, type RawBuilder } from 'kysely';

/** The key of a stored UTR column, in SQL (inlined: the migration runs as one parameterless script). */
const key = (column: string) => sql.raw(`loanops_utr_match_key(${column})`);
/** The spellings of an all-digit key as stored: it and it zero-padded up to 22 characters. */
const spellings = (keyed: RawBuilder<unknown>) => sql`ARRAY(SELECT lpad(${keyed}, n, '0') FROM generate_series(length(${keyed}), 22) AS n)`;

/**
 * UTRs stored before intake kept them by their match key (utrMatchKey in packages/domain) may be
 * zero-padded ('0000123456789012' for the RRN 123456789012), and the unique indexes on
 * payment_intake and payments do not see such a spelling as the UTR it is: the same transfer sent
 * again, keyed, would be taken and posted a second time. Each stored UTR is rewritten to its key,
 * one statement per table, unless another row of the table that the same unique index guards
 * already holds that key or would be rewritten to it: those rows are one transfer counted twice,
 * left as stored for people to sort out (the integrity check's PAYMENT_UTR_ONCE names the posted
 * payments among them). Statement lines were keyed by the import since 0006, but the lines stored
 * before it were not: they are rewritten the same way within their statement (their reference
 * keeps the spelling). Reconciliation items are left as they were recorded: nothing matches on them.
 *
 * loanops_utr_match_key is utrMatchKey for a UTR as stored (normalizeUtr'd, ^[A-Z0-9]{12,22}$; it
 * does not trim, upper-case or drop spaces): an all-digit UTR loses leading zeros down to 12
 * digits, anything else is itself. The integrity check reads it too.
 *
 * Also indexes for two reads that scanned the whole table: the past-date portfolio report's
 * payments posted after the date (or posted by it and reversed after it), and the hourly review of
 * the last MAX_BACKDATE_DAYS + 1 days' promise verdicts.
 *
 * up() is one parameterless script, which Postgres runs as one transaction (and the Migrator runs
 * it inside one of its own): the keys, rows and indexes are all there, or none is. Each table is
 * read once, and the index asked only about the rows that move.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION loanops_utr_match_key(utr text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT CASE WHEN utr ~ '^[0-9]+$' THEN right(utr, greatest(12, length(ltrim(utr, '0')))) ELSE utr END $$;

    -- A row moves unless another row under the same unique index holds its key in any spelling
    -- now; a statement reads the table as it was before it, so two rows that would both move to
    -- one key both stay. Only rows of digits move, so their key's other spellings are the key
    -- zero-padded (utrSpellings), each looked up in the index.
    UPDATE payment_intake i SET utr = ${key('i.utr')}
    WHERE ${key('i.utr')} <> i.utr
      AND (i.status = 'REJECTED' OR NOT EXISTS (
        SELECT 1 FROM payment_intake o
        WHERE o.status <> 'REJECTED' AND o.id <> i.id AND o.utr = ANY (${spellings(key('i.utr'))})
      ));

    -- A reversed payment keeps its UTR: it holds its key like any other.
    UPDATE payments p SET utr = ${key('p.utr')}
    WHERE ${key('p.utr')} <> p.utr
      AND NOT EXISTS (
        SELECT 1 FROM payments o
        WHERE o.id <> p.id AND o.utr = ANY (${spellings(key('p.utr'))})
      );

    UPDATE bank_statement_lines b SET utr = ${key('b.utr')}
    WHERE ${key('b.utr')} <> b.utr
      AND NOT EXISTS (
        SELECT 1 FROM bank_statement_lines o
        WHERE o.statement_id = b.statement_id AND o.id <> b.id AND o.utr = ANY (${spellings(key('b.utr'))})
      );

    -- Payments posted after a past date, still posted, and those posted by it and reversed since
    -- (the portfolio and roll reports for a past date, packages/reports book-as-of).
    CREATE INDEX payments_status_posted_on ON payments (status, posted_on);
    -- Verdicts whose promised date is recent enough for a late payment to change them.
    CREATE INDEX promises_verdicts_promised_on ON promises (promised_on) WHERE status IN ('KEPT', 'BROKEN');
  `.execute(db);
}

/**
 * Leaves the data as up() wrote it: the UTRs stay keyed (the spellings they replaced are not kept,
 * and the code before this migration already wrote and read UTRs by their key).
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX promises_verdicts_promised_on;
    DROP INDEX payments_status_posted_on;
    DROP FUNCTION loanops_utr_match_key(text);
  `.execute(db);
}
