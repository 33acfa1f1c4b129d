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
 */
function paidMatchesAllocations(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'PAID_MATCHES_ALLOCATIONS',
    'installments',
    sql<Row>`
      WITH alloc AS (
        SELECT a.installment_id, a.charge_id, a.component, sum(a.amount_paise)::bigint AS amount
        FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
        WHERE p.status = 'POSTED'
        GROUP BY a.installment_id, a.charge_id, a.component
      ), wrong AS (
        SELECT i.id,
               format('principal %s, interest %s', coalesce(pa.amount, 0), coalesce(ia.amount, 0)) AS expected,
               format('principal %s, interest %s', i.principal_paid_paise, i.interest_paid_paise) AS actual
        FROM installments i
        JOIN loans l ON l.id = i.loan_id
        LEFT JOIN alloc pa ON pa.installment_id = i.id AND pa.component = 'PRINCIPAL'
        LEFT JOIN alloc ia ON ia.installment_id = i.id AND ia.component = 'INTEREST'
        WHERE i.principal_paid_paise < coalesce(pa.amount, 0) OR i.interest_paid_paise < coalesce(ia.amount, 0)
           OR (l.source = 'API' AND (i.principal_paid_paise <> coalesce(pa.amount, 0) OR i.interest_paid_paise <> coalesce(ia.amount, 0)))
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

/** Every POSTED intake has exactly one payment, and every payment one POSTED intake pointing at it. */
function intakePayment(context: CheckContext): Promise<CheckResult> {
  return fromSql(
    'INTAKE_PAYMENT',
    'payment_intake',
    sql<Row>`
      WITH wrong AS (
        SELECT 'payment_intake' AS t, i.id::text AS id, 'one payment with this intake' AS expected,
               CASE WHEN count(p.id) = 0 THEN 'no payment' ELSE format('%s payments', count(p.id)) END AS actual
        FROM payment_intake i
        LEFT JOIN payments p ON p.intake_id = i.id OR p.id = i.payment_id
        WHERE i.status = 'POSTED'
        GROUP BY i.id
        HAVING count(p.id) <> 1 OR bool_or(p.id IS DISTINCT FROM i.payment_id) OR bool_or(p.intake_id IS DISTINCT FROM i.id)
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
 * Each live loan's DPD and bucket are what its installments say on the date it was last
 * classified: the later of its own as-of date and the last successful DPD run's (the run only
 * rewrites loans whose standing moves). Buckets follow the borrower-wide, sticky NPA rule
 * (classifyBorrowerLoans, as the DPD run and payments apply it), fed with the bucket each loan held
 * by its bucket history (the to-bucket of its latest row) rather than the stored bucket under
 * check: a bucket written behind the history's back can neither make a borrower NPA nor lift it.
 */
async function loanStanding(context: CheckContext): Promise<{ dpd: CheckResult; bucket: CheckResult }> {
  const lastRun = await context.db
    .selectFrom('job_runs')
    .select((eb) => eb.fn.max('business_date').as('date'))
    .where('kind', '=', 'DPD')
    .where('status', '=', 'SUCCEEDED')
    .executeTakeFirst();
  const runDate = lastRun?.date ?? null;
  const dpd: CheckResult = { count: 0, findings: [] };
  const bucket: CheckResult = { count: 0, findings: [] };
  let after = 0;
  for (;;) {
    const page = await sql<{
      id: number;
      borrower_id: number;
      dpd: number;
      bucket: string;
      held_bucket: string | null;
      on: string;
      expected_dpd: number;
    }>`
      WITH borrowers AS (
        SELECT DISTINCT borrower_id FROM loans
        WHERE borrower_id > ${after} AND status IN ('ACTIVE', 'LEGAL')
        ORDER BY borrower_id LIMIT 2000
      ), live AS (
        SELECT l.id, l.borrower_id, l.dpd, l.bucket,
               greatest(l.dpd_as_of, coalesce(${runDate}::date, l.dpd_as_of)) AS on_date
        FROM loans l JOIN borrowers b ON b.borrower_id = l.borrower_id
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
      FROM live v ORDER BY v.borrower_id, v.id`.execute(context.db);
    if (page.rows.length === 0) break;
    const byBorrower = new Map<number, typeof page.rows>();
    for (const row of page.rows) {
      const list = byBorrower.get(Number(row.borrower_id)) ?? [];
      list.push(row);
      byBorrower.set(Number(row.borrower_id), list);
    }
    for (const loans of byBorrower.values()) {
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
    }
    after = Number(page.rows[page.rows.length - 1]?.borrower_id ?? after);
  }
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
  const standing = await loanStanding(context);
  return {
    PAYMENT_ALLOCATIONS_SUM: await allocationsSum(context),
    PAID_ABOVE_DUE: await paidAboveDue(context),
    PAID_MATCHES_ALLOCATIONS: await paidMatchesAllocations(context),
    CHARGE_PAID_MATCHES_ALLOCATIONS: await chargePaidMatchesAllocations(context),
    LOAN_OUTSTANDING: await loanOutstanding(context),
    LOAN_DPD: standing.dpd,
    LOAN_BUCKET: standing.bucket,
    INTAKE_PAYMENT: await intakePayment(context),
    PAYMENT_UTR_ONCE: await paymentUtrOnce(context),
    AUDIT_CHAIN: await auditChain(context),
  };
}
