import { sql, type Kysely } from 'kysely';
import { classifyBorrowerLoans, type BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { sealAuditChain, verifyAuditChain } from '@loanops/audit';

/**
 * The data-integrity checks, each one set-based SQL statement (or a walk in pages) over the whole
 * book. Each names the rows that are wrong, with what the rest of the record says they should be.
 */

export const INTEGRITY_CHECKS = [
  'PAYMENT_ALLOCATIONS_SUM',
  'PAID_ABOVE_DUE',
  'PAID_MATCHES_ALLOCATIONS',
  'CHARGE_PAID_MATCHES_ALLOCATIONS',
  'LOAN_OUTSTANDING',
  'LOAN_DPD',
  'LOAN_BUCKET',
  'INTAKE_PAYMENT',
  'PAYMENT_UTR_ONCE',
  'LOAN_ALLOCATION',
  'AUDIT_CHAIN',
] as const;
export type IntegrityCheck = (typeof INTEGRITY_CHECKS)[number];

export interface Finding {
  check: IntegrityCheck;
  table: string;
  rowId: string;
  expected: string | null;
  actual: string | null;
  message: string;
}

export interface CheckResult {
  /** Every wrong row found. */
  count: number;
  /** The first `limit` of them. */
  findings: Finding[];
}

export interface CheckContext {
  db: Kysely<Database>;
  bucketTable: BucketTable;
  /** Findings kept per check (all are counted). */
  limit: number;
  /** Told the wall time of each statement or walk, naming the checks it answered (LOAN_DPD and LOAN_BUCKET share one walk). */
  onTimed?: ((checks: readonly IntegrityCheck[], seconds: number) => void) | undefined;
  /** Live loans fetched at a time by the LOAN_DPD/LOAN_BUCKET walk (default 5,000). */
  standingFetchRows?: number | undefined;
}

type Row = { table_name?: string; row_id: string | number; expected: string | null; actual: string | null; message: string; total: number };

async function fromSql(check: IntegrityCheck, table: string, query: ReturnType<typeof sql<Row>>, context: CheckContext): Promise<CheckResult> {
  const result = await query.execute(context.db);
  const first = result.rows[0];
  return {
    count: first ? Number(first.total) : 0,
    findings: result.rows.map((row) => ({
      check,
      table: row.table_name ?? table,
      rowId: String(row.row_id),
      expected: row.expected,
      actual: row.actual,
      message: row.message,
    })),
  };
}

/** Every payment's allocations (kept after a reversal, which only takes them off the dues) sum to its amount. */
function allocationsSum(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'PAYMENT_ALLOCATIONS_SUM',
    'payments',
    sql<Row>`
      WITH wrong AS (
        SELECT p.id, p.amount_paise, coalesce(sum(a.amount_paise), 0)::bigint AS allocated
        FROM payments p LEFT JOIN payment_allocations a ON a.payment_id = p.id
        GROUP BY p.id
        HAVING p.amount_paise <> coalesce(sum(a.amount_paise), 0)
      )
      SELECT id AS row_id, amount_paise::text AS expected, allocated::text AS actual,
             format('payment %s of %s paise has allocations summing to %s paise', id, amount_paise, allocated) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY id LIMIT ${context.limit}`,
    context,
  );
}

/** Nothing is paid above what was due: installments (principal, interest) and charges. */
function paidAboveDue(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'PAID_ABOVE_DUE',
    'installments',
    sql<Row>`
      WITH wrong AS (
        SELECT 'installments' AS t, id, format('principal ≤ %s, interest ≤ %s', principal_due_paise, interest_due_paise) AS expected,
               format('principal %s, interest %s', principal_paid_paise, interest_paid_paise) AS actual
        FROM installments WHERE principal_paid_paise > principal_due_paise OR interest_paid_paise > interest_due_paise
        UNION ALL
        SELECT 'loan_charges', id, format('≤ %s', amount_paise), paid_paise::text
        FROM loan_charges WHERE paid_paise > amount_paise
      )
      SELECT t AS table_name, id AS row_id, expected, actual,
             format('%s %s is paid above what was due (paid %s, due %s)', t, id, actual, expected) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY t, id LIMIT ${context.limit}`,
    context,
  );
}

/**
 * What an installment says was paid is what the allocations of its posted (not reversed) payments
 * paid. A loan brought from the old spreadsheet (import, seed) may carry repayments made before
 * this system, which have no payment here: for those, paid may be more than the allocations, never less.
 *
 * The installments whose paid differs from their allocations are found first, in one pass beside
 * the allocations, and set apart (MATERIALIZED: otherwise the planner joins every installment to
 * its loan before filtering); only those are then looked up among the loans made here, where any
 * difference is wrong.
 */
function paidMatchesAllocations(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'PAID_MATCHES_ALLOCATIONS',
    'installments',
    sql<Row>`
      WITH alloc AS (
        SELECT a.installment_id,
               coalesce(sum(a.amount_paise) FILTER (WHERE a.component = 'PRINCIPAL'), 0)::bigint AS principal,
               coalesce(sum(a.amount_paise) FILTER (WHERE a.component = 'INTEREST'), 0)::bigint AS interest
        FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
        WHERE p.status = 'POSTED' AND a.installment_id IS NOT NULL
        GROUP BY a.installment_id
      ), differ AS MATERIALIZED (
        SELECT i.id, i.loan_id, i.principal_paid_paise, i.interest_paid_paise,
               coalesce(a.principal, 0) AS principal, coalesce(a.interest, 0) AS interest
        FROM installments i LEFT JOIN alloc a ON a.installment_id = i.id
        WHERE i.principal_paid_paise <> coalesce(a.principal, 0) OR i.interest_paid_paise <> coalesce(a.interest, 0)
      ), wrong AS (
        SELECT d.id, format('principal %s, interest %s', d.principal, d.interest) AS expected,
               format('principal %s, interest %s', d.principal_paid_paise, d.interest_paid_paise) AS actual
        FROM differ d LEFT JOIN loans api ON api.id = d.loan_id AND api.source = 'API'
        WHERE d.principal_paid_paise < d.principal OR d.interest_paid_paise < d.interest OR api.id IS NOT NULL
      )
      SELECT id AS row_id, expected, actual,
             format('installment %s says paid %s; its allocations say %s', id, actual, expected) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY id LIMIT ${context.limit}`,
    context,
  );
}

/**
 * What a charge says was paid is what the allocations of posted (not reversed) payments paid to
 * it. As for installments, a charge of a loan brought from the old spreadsheet (import, seed) may
 * carry a part paid before this system, which has no payment here: paid may be more than the
 * allocations there, never less.
 */
function chargePaidMatchesAllocations(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'CHARGE_PAID_MATCHES_ALLOCATIONS',
    'loan_charges',
    sql<Row>`
      WITH alloc AS (
        SELECT a.charge_id, sum(a.amount_paise)::bigint AS amount
        FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
        WHERE a.component = 'CHARGE' AND p.status = 'POSTED'
        GROUP BY a.charge_id
      ), wrong AS (
        SELECT c.id, coalesce(a.amount, 0) AS allocated, c.paid_paise
        FROM loan_charges c
        JOIN loans l ON l.id = c.loan_id
        LEFT JOIN alloc a ON a.charge_id = c.id
        WHERE c.paid_paise < coalesce(a.amount, 0)
           OR (l.source = 'API' AND c.paid_paise <> coalesce(a.amount, 0))
      )
      SELECT id AS row_id, allocated::text AS expected, paid_paise::text AS actual,
             format('charge %s says paid %s paise; its allocations say %s paise', id, paid_paise, allocated) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY id LIMIT ${context.limit}`,
    context,
  );
}

/** Each loan's outstanding columns equal its unpaid installments and charges. */
function loanOutstanding(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'LOAN_OUTSTANDING',
    'loans',
    sql<Row>`
      WITH sched AS (
        SELECT loan_id, sum(principal_due_paise - principal_paid_paise)::bigint AS principal,
               sum(interest_due_paise - interest_paid_paise)::bigint AS interest
        FROM installments GROUP BY loan_id
      ), charges AS (
        SELECT loan_id, sum(amount_paise - paid_paise)::bigint AS charges FROM loan_charges GROUP BY loan_id
      ), wrong AS (
        SELECT l.id,
               format('principal %s, interest %s, charges %s', coalesce(s.principal, 0), coalesce(s.interest, 0), coalesce(c.charges, 0)) AS expected,
               format('principal %s, interest %s, charges %s', l.principal_outstanding_paise, l.interest_outstanding_paise, l.charges_outstanding_paise) AS actual
        FROM loans l LEFT JOIN sched s ON s.loan_id = l.id LEFT JOIN charges c ON c.loan_id = l.id
        WHERE l.principal_outstanding_paise <> coalesce(s.principal, 0)
           OR l.interest_outstanding_paise <> coalesce(s.interest, 0)
           OR l.charges_outstanding_paise <> coalesce(c.charges, 0)
      )
      SELECT id AS row_id, expected, actual,
             format('loan %s has outstanding %s; its installments and charges say %s', id, actual, expected) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY id LIMIT ${context.limit}`,
    context,
  );
}

/**
 * Every POSTED intake has exactly one payment, and every payment one POSTED intake pointing at it.
 * An intake's payments are the one naming it (payments.intake_id is unique) and the one it names
 * (by primary key): two joins the planner can hash, rather than one join on either column, which
 * could only probe both indexes intake by intake.
 */
function intakePayment(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'INTAKE_PAYMENT',
    'payment_intake',
    sql<Row>`
      WITH posted AS (
        SELECT i.id, named.id AS naming_it, named_by.id AS it_names,
               (named.id IS NOT NULL)::int + (named_by.id IS NOT NULL AND named_by.id IS DISTINCT FROM named.id)::int AS payments
        FROM payment_intake i
        LEFT JOIN payments named ON named.intake_id = i.id
        LEFT JOIN payments named_by ON named_by.id = i.payment_id
        WHERE i.status = 'POSTED'
      ), wrong AS (
        SELECT 'payment_intake' AS t, id::text AS id, 'one payment with this intake' AS expected,
               CASE WHEN payments = 0 THEN 'no payment' ELSE format('%s payments', payments) END AS actual
        FROM posted
        WHERE naming_it IS NULL OR naming_it IS DISTINCT FROM it_names
        UNION ALL
        SELECT 'payments', p.id::text, 'a POSTED intake pointing at this payment',
               CASE WHEN i.id IS NULL THEN 'no intake' ELSE format('intake %s is %s with payment %s', i.id, i.status, coalesce(i.payment_id::text, 'none')) END
        FROM payments p LEFT JOIN payment_intake i ON i.id = p.intake_id
        WHERE i.id IS NULL OR i.status <> 'POSTED' OR i.payment_id IS DISTINCT FROM p.id
      )
      SELECT t AS table_name, id AS row_id, expected, actual, format('%s %s: expected %s, found %s', t, id, expected, actual) AS message,
             count(*) OVER () AS total
      FROM wrong ORDER BY t, id LIMIT ${context.limit}`,
    context,
  );
}

/**
 * No two posted (not reversed) payments have one UTR under utrMatchKey: they are one transfer
 * posted twice. The unique index on payments.utr compares UTRs as written; those written padded
 * before intake stored the key were keyed by migration 0008, except where two payments would have
 * become one: those stay as written, and are what this finds. Two of them cannot both be written
 * as their key (the index), so each such transfer has a payment whose UTR is not its key.
 */
function paymentUtrOnce(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'PAYMENT_UTR_ONCE',
    'payments',
    sql<Row>`
      WITH padded AS (
        SELECT DISTINCT loanops_utr_match_key(utr) AS key FROM payments
        WHERE status = 'POSTED' AND loanops_utr_match_key(utr) <> utr
      ), posted AS (
        SELECT loanops_utr_match_key(p.utr) AS key, p.id, p.loan_id, p.utr
        FROM payments p
        WHERE p.status = 'POSTED' AND loanops_utr_match_key(p.utr) IN (SELECT key FROM padded)
      ), twice AS (
        SELECT key, count(*) AS n, string_agg(format('payment %s (loan %s, UTR %s)', id, loan_id, utr), ', ' ORDER BY id) AS payments
        FROM posted GROUP BY key HAVING count(*) > 1
      )
      SELECT p.id AS row_id, format('one posted payment with UTR %s', t.key) AS expected, t.payments AS actual,
             format('payment %s is one of %s posted payments of one transfer, UTR %s: %s', p.id, t.n, t.key, t.payments) AS message,
             count(*) OVER () AS total
      FROM twice t JOIN posted p ON p.key = t.key
      ORDER BY p.id LIMIT ${context.limit}`,
    context,
  );
}

/**
 * Each loan's collector is the one its allocation history holds it for now (the open period of
 * loan_allocations), and a loan with no collector has no open period. Triggers keep the two
 * together; a write made with triggers off (a restore, a hand edit under replication role) is what
 * parts them, and the scores and efficiency reports would then credit the wrong collector.
 */
function loanAllocation(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'LOAN_ALLOCATION',
    'loans',
    sql<Row>`
      WITH wrong AS (
        SELECT l.id, coalesce('collector ' || l.collector_id, 'no collector') AS actual,
               coalesce('collector ' || a.collector_id, 'no collector') AS expected
        FROM loans l LEFT JOIN loan_allocations a ON a.loan_id = l.id AND a.ended_on IS NULL
        WHERE l.collector_id IS DISTINCT FROM a.collector_id
      )
      SELECT id AS row_id, expected, actual,
             format('loan %s has %s, but its allocation history holds it for %s', id, actual, expected) AS message,
             count(*) OVER () AS total
      FROM wrong
      ORDER BY id LIMIT ${context.limit}`,
    context,
  );
}

/** Rows fetched per round trip by the standing walk's cursor, unless the context says otherwise. */
const STANDING_FETCH_ROWS = 5_000;

type StandingRow = {
  id: string | number;
  borrower_id: string | number;
  dpd: number;
  bucket: string;
  held_bucket: string | null;
  on: string;
  expected_dpd: number;
};

/**
 * Each live loan's DPD and bucket are what its installments say on the date it was last
 * classified: the later of its own as-of date and the last successful DPD run's (the run only
 * rewrites loans whose standing moves). Buckets follow the borrower-wide, sticky NPA rule
 * (classifyBorrowerLoans, as the DPD run and payments apply it), fed with the bucket each loan held
 * by its bucket history (the to-bucket of its latest row) rather than the stored bucket under
 * check: a bucket written behind the history's back can neither make a borrower NPA nor lift it.
 *
 * One statement walks the live loans in borrower order through a cursor (one snapshot, fetched in
 * slices), each loan with one probe of bucket_history_loan and one of installments_unpaid; a
 * borrower is judged once all its loans are in. Paging by borrower instead made every page find
 * its loans among the whole book, which grew with the square of the book.
 */
async function loanStanding(context: CheckContext): Promise<{ dpd: CheckResult; bucket: CheckResult }> {
  const fetchRows = context.standingFetchRows ?? STANDING_FETCH_ROWS;
  if (!Number.isSafeInteger(fetchRows) || fetchRows < 1) throw new RangeError('standingFetchRows must be a whole number ≥ 1');
  const dpd: CheckResult = { count: 0, findings: [] };
  const bucket: CheckResult = { count: 0, findings: [] };
  const judge = (loans: readonly StandingRow[]): void => {
    const expectedBuckets = classifyBorrowerLoans(
      loans.map((loan) => ({ id: Number(loan.id), dpd: loan.expected_dpd, bucket: loan.held_bucket })),
      context.bucketTable,
    );
    for (const loan of loans) {
      if (loan.dpd !== loan.expected_dpd) {
        dpd.count += 1;
        if (dpd.findings.length < context.limit) {
          dpd.findings.push({
            check: 'LOAN_DPD',
            table: 'loans',
            rowId: String(loan.id),
            expected: String(loan.expected_dpd),
            actual: String(loan.dpd),
            message: `loan ${loan.id} has DPD ${loan.dpd}; its installments say ${loan.expected_dpd} on ${loan.on}`,
          });
        }
      }
      const expected = expectedBuckets.get(Number(loan.id));
      if (expected !== undefined && expected !== loan.bucket) {
        bucket.count += 1;
        if (bucket.findings.length < context.limit) {
          bucket.findings.push({
            check: 'LOAN_BUCKET',
            table: 'loans',
            rowId: String(loan.id),
            expected,
            actual: loan.bucket,
            message: `loan ${loan.id} is in bucket ${loan.bucket}; its installments and bucket history say ${expected} on ${loan.on}`,
          });
        }
      }
    }
  };
  await context.db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`
        DECLARE integrity_standing NO SCROLL CURSOR FOR
        WITH last_run AS (
          SELECT max(business_date) AS date FROM job_runs WHERE kind = 'DPD' AND status = 'SUCCEEDED'
        ), live AS (
          SELECT l.id, l.borrower_id, l.dpd, l.bucket, greatest(l.dpd_as_of, coalesce(r.date, l.dpd_as_of)) AS on_date
          FROM loans l CROSS JOIN last_run r
          WHERE l.status IN ('ACTIVE', 'LEGAL')
        )
        SELECT v.id, v.borrower_id, v.dpd, v.bucket, v.on_date::text AS on,
               (SELECT h.to_bucket FROM bucket_history h
                 WHERE h.loan_id = v.id
                 ORDER BY h.business_date DESC, h.id DESC LIMIT 1) AS held_bucket,
               coalesce(v.on_date - (
                 SELECT min(i.due_on) FROM installments i
                 WHERE i.loan_id = v.id AND i.due_on < v.on_date
                   AND (i.principal_paid_paise < i.principal_due_paise OR i.interest_paid_paise < i.interest_due_paise)
               ), 0) AS expected_dpd
        FROM live v ORDER BY v.borrower_id, v.id`.execute(trx);
      let borrower: StandingRow[] = [];
      for (;;) {
        const slice = await sql<StandingRow>`FETCH ${sql.lit(fetchRows)} FROM integrity_standing`.execute(trx);
        for (const row of slice.rows) {
          if (borrower.length > 0 && String(borrower[0]?.borrower_id) !== String(row.borrower_id)) {
            judge(borrower);
            borrower = [];
          }
          borrower.push(row);
        }
        if (slice.rows.length < fetchRows) break;
      }
      if (borrower.length > 0) judge(borrower);
    });
  return { dpd, bucket };
}

/** The audit hash chain verifies (what can be sealed is sealed first). */
async function auditChain(context: CheckContext): Promise<CheckResult> {
  while ((await sealAuditChain(context.db)) > 0) {
    // seal everything that can be sealed
  }
  const report = await verifyAuditChain(context.db);
  if (report.ok || !report.problem) return { count: 0, findings: [] };
  const { problem } = report;
  return {
    count: 1,
    findings: [
      {
        check: 'AUDIT_CHAIN',
        table: problem.auditId === null ? 'audit_chain' : 'audit_log',
        rowId: String(problem.auditId ?? problem.seq ?? ''),
        expected: 'the entry as sealed in the hash chain',
        actual: problem.kind,
        message: problem.message,
      },
    ],
  };
}

/** Runs every check; results in INTEGRITY_CHECKS order. */
export async function runChecks(context: CheckContext): Promise<Record<IntegrityCheck, CheckResult>> {
  const timed = async <T>(checks: readonly IntegrityCheck[], work: (context: CheckContext) => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work(context);
    context.onTimed?.(checks, (performance.now() - started) / 1000);
    return result;
  };
  const standing = await timed(['LOAN_DPD', 'LOAN_BUCKET'], loanStanding);
  return {
    PAYMENT_ALLOCATIONS_SUM: await timed(['PAYMENT_ALLOCATIONS_SUM'], allocationsSum),
    PAID_ABOVE_DUE: await timed(['PAID_ABOVE_DUE'], paidAboveDue),
    PAID_MATCHES_ALLOCATIONS: await timed(['PAID_MATCHES_ALLOCATIONS'], paidMatchesAllocations),
    CHARGE_PAID_MATCHES_ALLOCATIONS: await timed(['CHARGE_PAID_MATCHES_ALLOCATIONS'], chargePaidMatchesAllocations),
    LOAN_OUTSTANDING: await timed(['LOAN_OUTSTANDING'], loanOutstanding),
    LOAN_DPD: standing.dpd,
    LOAN_BUCKET: standing.bucket,
    INTAKE_PAYMENT: await timed(['INTAKE_PAYMENT'], intakePayment),
    PAYMENT_UTR_ONCE: await timed(['PAYMENT_UTR_ONCE'], paymentUtrOnce),
    LOAN_ALLOCATION: await timed(['LOAN_ALLOCATION'], loanAllocation),
    AUDIT_CHAIN: await timed(['AUDIT_CHAIN'], auditChain),
  };
}
