import { sql, type Kysely } from 'kysely';
import { CONTACT_HOURS, installmentReminderRange, nextContactTime } from '@loanops/collections';
import type { Database } from '@loanops/db';
import { BUSINESS_ZONE, MAX_BACKDATE_DAYS, addDays, scoreWindow, type BusinessDate } from '@loanops/domain';
import type { Floor } from '../support.js';

/**
 * The floors of bench:collections: for each step, hand-written SQL over the same book doing the
 * least work the step must do, on the same rows. Floors that write do so on a scratch table (a copy
 * of the real one's columns, indexes, CHECKs and foreign keys) or in a transaction rolled back, so
 * the steps after them see the book the step left.
 */

type Db = Kysely<Database>;

const SCRATCH_OUTBOX = 'bench_floor_outbox';

/** An empty table shaped as `source` (columns, defaults, identity, indexes, CHECKs) with its foreign keys too. */
async function createScratchLike(conn: Db, source: string, name: string): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql.table(name)}`.execute(conn);
  await sql`CREATE TABLE ${sql.table(name)} (LIKE ${sql.table(source)} INCLUDING ALL)`.execute(conn);
  const foreignKeys = await sql<{ definition: string }>`
    SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
    WHERE conrelid = ${source}::regclass AND contype = 'f' ORDER BY conname`.execute(conn);
  for (const { definition } of foreignKeys.rows) {
    await sql`ALTER TABLE ${sql.table(name)} ADD ${sql.raw(definition)}`.execute(conn);
  }
}

async function dropScratch(conn: Db, name: string): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql.table(name)}`.execute(conn);
}

/**
 * Plan reminders: one INSERT … SELECT of the installments the plan picks (unpaid, of ACTIVE loans,
 * due in the reminder range, with no outbox row yet) into an empty scratch outbox, each row with
 * the message, payload and deadline the plan writes (the message composed in SQL). The book has no
 * promises, so the plan's promise read is left out.
 */
export function planFloor(plan: { today: BusinessDate; now: Date; installmentDaysBefore: number; maxAttempts: number }): Floor<Database, number> {
  const range = installmentReminderRange(plan.today, plan.installmentDaysBefore);
  return {
    prepare: (conn) => createScratchLike(conn, 'notifications', SCRATCH_OUTBOX),
    work: async (conn) => {
      const result = await sql`
        INSERT INTO ${sql.table(SCRATCH_OUTBOX)} (kind, dedupe_key, channel, recipient, language, loan_id, installment_id, payload,
                                                   message, contact_hours, send_by, next_attempt_at, max_attempts)
        SELECT 'INSTALLMENT_DUE', 'installment:' || i.id || ':INSTALLMENT_DUE', 'log', b.phone, b.language, l.id, i.id,
               jsonb_build_object('loanNumber', l.loan_number, 'amountPaise', i.outstanding_paise, 'date', i.due_on::text, 'installmentId', i.id),
               CASE WHEN b.language = 'hi'
                 THEN format('नमस्ते, ऋण %s की ₹%s की किस्त %s को देय है। कृपया खाते में पर्याप्त राशि रखें।',
                             l.loan_number, to_char(i.outstanding_paise / 100.0, 'FM99,99,99,990.00'), to_char(i.due_on, 'DD-MM-YYYY'))
                 ELSE format('Hello, your instalment of ₹%s on loan %s falls due on %s. Please keep the amount ready.',
                             to_char(i.outstanding_paise / 100.0, 'FM99,99,99,990.00'), l.loan_number, to_char(i.due_on, 'DD-MM-YYYY'))
               END,
               true, ((i.due_on - 1) + make_time(${CONTACT_HOURS.toHour}, 0, 0)) AT TIME ZONE ${BUSINESS_ZONE},
               ${nextContactTime(plan.now)}, ${plan.maxAttempts}
        FROM installments i
        JOIN loans l ON l.id = i.loan_id
        JOIN borrowers b ON b.id = l.borrower_id
        WHERE i.due_on BETWEEN ${range.from}::date AND ${range.to}::date
          AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
          AND l.status = 'ACTIVE'
          AND NOT EXISTS (SELECT 1 FROM ${sql.table(SCRATCH_OUTBOX)} n WHERE n.dedupe_key = 'installment:' || i.id || ':INSTALLMENT_DUE')
        ORDER BY i.due_on, i.id
        ON CONFLICT (dedupe_key) DO NOTHING`.execute(conn);
      return Number(result.numAffectedRows ?? 0);
    },
    cleanUp: (conn) => dropScratch(conn, SCRATCH_OUTBOX),
  };
}

/** Plan again: the same range read, each candidate probed against the outbox's dedupe key, finding none new. */
export function planAgainFloor(plan: { today: BusinessDate; installmentDaysBefore: number }): Floor<Database, number> {
  const range = installmentReminderRange(plan.today, plan.installmentDaysBefore);
  return {
    work: async (conn) => {
      const result = await sql<{ n: number }>`
        SELECT count(*)::int AS n
        FROM installments i
        JOIN loans l ON l.id = i.loan_id
        WHERE i.due_on BETWEEN ${range.from}::date AND ${range.to}::date
          AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
          AND l.status = 'ACTIVE'
          AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key = 'installment:' || i.id || ':INSTALLMENT_DUE')`.execute(conn);
      return result.rows[0]?.n ?? 0;
    },
  };
}

/**
 * Copies the outbox as the plan left it into a scratch table (untimed), so the delivery floor can
 * run after delivery on the same rows; `deliverFloor` times its UPDATE and drops the copy.
 */
export async function copyOutbox(db: Db): Promise<void> {
  await db.connection().execute(async (conn) => {
    await createScratchLike(conn, 'notifications', SCRATCH_OUTBOX);
    await sql`INSERT INTO ${sql.table(SCRATCH_OUTBOX)} OVERRIDING SYSTEM VALUE SELECT * FROM notifications ORDER BY id`.execute(conn);
    await sql`ANALYZE ${sql.table(SCRATCH_OUTBOX)}`.execute(conn);
  });
}

/**
 * Deliver: one UPDATE marking every due notification of the copied outbox SENT (still pending, due,
 * before its deadline, its installment still unpaid), returning what a channel is given.
 */
export function deliverFloor(now: Date): Floor<Database, number> {
  return {
    work: async (conn) => {
      const result = await sql`
        UPDATE ${sql.table(SCRATCH_OUTBOX)} AS n SET status = 'SENT', attempts = n.attempts + 1, sent_at = ${now}, last_error = NULL
        WHERE n.status = 'PENDING' AND n.next_attempt_at <= ${now} AND (n.send_by IS NULL OR n.send_by >= ${now})
          AND NOT EXISTS (SELECT 1 FROM promises p WHERE p.id = n.promise_id AND p.status <> 'OPEN')
          AND NOT EXISTS (
            SELECT 1 FROM installments i
            WHERE i.id = n.installment_id
              AND i.principal_paid_paise >= i.principal_due_paise AND i.interest_paid_paise >= i.interest_due_paise)
        RETURNING n.id, n.kind, n.dedupe_key, n.channel, n.recipient, n.language, n.message, n.payload`.execute(conn);
      return result.rows.length;
    },
    cleanUp: (conn) => dropScratch(conn, SCRATCH_OUTBOX),
  };
}

/**
 * Judge promises: one statement judging every open promise dated before today against its loan's
 * payments (KEPT or BROKEN, audited), then the read of recent verdicts a late payment may change;
 * rolled back.
 */
export function judgeFloor(today: BusinessDate): Floor<Database, number> {
  return {
    rollBack: true,
    work: async (conn) => {
      const judged = await sql<{ n: number }>`
        WITH due AS (
          SELECT p.id, p.loan_id, p.amount_paise, p.promised_on,
                 coalesce(sum(pay.amount_paise) FILTER (
                   WHERE pay.status = 'POSTED' AND pay.posted_at >= p.made_at AND pay.value_date <= p.promised_on), 0) AS paid
          FROM promises p
          LEFT JOIN payments pay ON pay.loan_id = p.loan_id AND pay.value_date >= p.made_on
          WHERE p.status = 'OPEN' AND p.promised_on < ${today}::date
          GROUP BY p.id
        ), judged AS (
          UPDATE promises p
          SET status = CASE WHEN due.paid >= due.amount_paise THEN 'KEPT' ELSE 'BROKEN' END, paid_paise = due.paid,
              resolved_on = due.promised_on + 1
          FROM due WHERE p.id = due.id
          RETURNING p.id, p.status, p.paid_paise, p.resolved_on, due.loan_id, due.amount_paise, due.promised_on
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, before, after, metadata)
          SELECT 'system', 'bench', 'PROMISE_' || status, 'promise', id::text, jsonb_build_object('status', 'OPEN'),
                 jsonb_build_object('status', status, 'paidPaise', paid_paise, 'resolvedOn', resolved_on),
                 jsonb_build_object('loanId', loan_id, 'amountPaise', amount_paise, 'promisedOn', promised_on)
          FROM judged
        )
        SELECT count(*)::int AS n FROM judged`.execute(conn);
      await sql`
        SELECT p.id FROM promises p
        WHERE p.status IN ('KEPT', 'BROKEN') AND p.promised_on >= ${addDays(today, -(MAX_BACKDATE_DAYS + 1))}::date
          AND p.promised_on < ${today}::date
          AND EXISTS (
            SELECT 1 FROM payments pay
            WHERE pay.loan_id = p.loan_id AND pay.value_date BETWEEN p.made_on AND p.promised_on
              AND ((pay.posted_at AT TIME ZONE ${BUSINESS_ZONE})::date > p.promised_on
                OR (pay.reversed_at AT TIME ZONE ${BUSINESS_ZONE})::date > p.promised_on))`.execute(conn);
      return judged.rows[0]?.n ?? 0;
    },
  };
}

/**
 * Score every collector: each active collector's window in one statement — dues and collections
 * of the days each held each loan (the allocation history), judged promises, grouped by
 * collector, each loan's bucket before and at the end of the window
 * from one pass of the bucket history per date (DISTINCT ON) — replacing the date's rows in
 * collector_scores (score left 0: the weighting is arithmetic on these sums); rolled back.
 */
export function scoreFloor(businessDate: BusinessDate, settings: { windowDays: number; bucketNames: readonly string[]; weights: unknown }): Floor<Database, number> {
  const window = scoreWindow(businessDate, settings.windowDays);
  const startOfWindow = addDays(window.from, -1);
  const names = [...settings.bucketNames];
  const lastBucket = (date: BusinessDate) => sql`
    SELECT DISTINCT ON (h.loan_id) h.loan_id, array_position(${names}::text[], h.to_bucket) AS rank
    FROM bucket_history h WHERE h.business_date <= ${date}::date
    ORDER BY h.loan_id, h.business_date DESC, h.id DESC`;
  return {
    rollBack: true,
    work: async (conn) => {
      await sql`DELETE FROM collector_scores WHERE business_date = ${businessDate}::date`.execute(conn);
      const result = await sql`
        INSERT INTO collector_scores (collector_id, business_date, window_days, collected_paise, due_paise, promises_resolved,
                                      promises_kept, loans_in_scope, loans_delinquent, loans_cured, loans_rolled_forward, score, weights)
        WITH their_loans AS (
          SELECT a.loan_id AS id, a.collector_id,
                 greatest(a.allocated_on, ${window.from}::date) AS first_day, least(a.ended_on - 1, ${window.to}::date) AS last_day
          FROM loan_allocations a JOIN collectors c ON c.id = a.collector_id AND c.active
          WHERE a.allocated_on <= ${window.to}::date AND (a.ended_on IS NULL OR a.ended_on > ${window.from}::date)
        ), due AS (
          SELECT t.collector_id, sum(i.principal_due_paise + i.interest_due_paise) AS paise
          FROM installments i JOIN their_loans t ON t.id = i.loan_id AND i.due_on BETWEEN t.first_day AND t.last_day
          WHERE i.due_on BETWEEN ${window.from}::date AND ${window.to}::date
          GROUP BY t.collector_id
        ), collected AS (
          SELECT t.collector_id, sum(p.amount_paise) AS paise
          FROM payments p JOIN their_loans t ON t.id = p.loan_id AND p.value_date BETWEEN t.first_day AND t.last_day
          WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${window.from}::date AND ${window.to}::date
          GROUP BY t.collector_id
        ), judged AS (
          SELECT p.collector_id, count(*) AS resolved, count(*) FILTER (WHERE p.status = 'KEPT') AS kept
          FROM promises p JOIN collectors c ON c.id = p.collector_id AND c.active
          WHERE p.status IN ('KEPT', 'BROKEN') AND p.resolved_on BETWEEN ${window.from}::date AND ${window.to}::date
          GROUP BY p.collector_id
        ), moves AS (
          SELECT t.collector_id, count(*) AS in_scope,
                 count(*) FILTER (WHERE b.rank > 1) AS delinquent,
                 count(*) FILTER (WHERE b.rank > 1 AND a.rank < b.rank) AS cured,
                 count(*) FILTER (WHERE a.rank > b.rank) AS rolled_forward
          FROM their_loans t
          JOIN (${lastBucket(startOfWindow)}) b ON b.loan_id = t.id
          JOIN (${lastBucket(window.to)}) a ON a.loan_id = t.id
          WHERE b.rank IS NOT NULL AND a.rank IS NOT NULL
          GROUP BY t.collector_id
        )
        SELECT c.id, ${businessDate}::date, ${settings.windowDays}, coalesce(collected.paise, 0), coalesce(due.paise, 0),
               coalesce(judged.resolved, 0), coalesce(judged.kept, 0), coalesce(moves.in_scope, 0), coalesce(moves.delinquent, 0),
               coalesce(moves.cured, 0), coalesce(moves.rolled_forward, 0), 0, ${JSON.stringify(settings.weights)}::jsonb
        FROM collectors c
        LEFT JOIN due ON due.collector_id = c.id
        LEFT JOIN collected ON collected.collector_id = c.id
        LEFT JOIN judged ON judged.collector_id = c.id
        LEFT JOIN moves ON moves.collector_id = c.id
        WHERE c.active AND (coalesce(due.paise, 0) > 0 OR coalesce(judged.resolved, 0) > 0 OR coalesce(moves.in_scope, 0) > 0)`.execute(conn);
      return Number(result.numAffectedRows ?? 0);
    },
  };
}

/**
 * Allocate: one UPDATE moving the matching live loans (bucket, borrower's PIN-code prefix) that are
 * not already the collector's, with an audit row each, as one statement; rolled back.
 */
export function allocateFloor(collectorId: number, filter: { bucket: string; pinCodePrefix: string }): Floor<Database, number> {
  return {
    rollBack: true,
    work: async (conn) => {
      const result = await sql<{ n: number }>`
        WITH matched AS (
          SELECT l.id, l.collector_id FROM loans l
          WHERE l.status IN ('ACTIVE', 'LEGAL') AND l.bucket = ${filter.bucket}
            AND l.borrower_id IN (SELECT b.id FROM borrowers b WHERE b.pin_code LIKE ${`${filter.pinCodePrefix}%`})
            AND l.collector_id IS DISTINCT FROM ${collectorId}
        ), moved AS (
          UPDATE loans AS l SET collector_id = ${collectorId}, version = l.version + 1
          FROM matched m WHERE l.id = m.id
          RETURNING l.id, m.collector_id AS before
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, before, after, metadata)
          SELECT 'system', 'bench', 'LOAN_COLLECTOR_ASSIGNED', 'loan', id::text, jsonb_build_object('collectorId', before),
                 jsonb_build_object('collectorId', ${collectorId}::bigint), jsonb_build_object('bulk', true)
          FROM moved
        )
        SELECT count(*)::int AS n FROM moved`.execute(conn);
      return result.rows[0]?.n ?? 0;
    },
  };
}
