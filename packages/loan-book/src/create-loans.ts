import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import {
  ConflictError,
  LoanOpsError,
  ValidationError,
  classifyBorrowerLoans,
  performingBucketName,
  planLoan,
  type BucketTable,
  type BusinessDate,
  type LoanPlan,
} from '@loanops/domain';
import {
  isUniqueViolation,
  recordAudit,
  type Actor,
  type AuditEntry,
  type Database,
  type LoanSource,
} from '@loanops/db';
import type { NewLoanInput } from './loan-input.js';

export interface CreateLoansContext {
  actor: Actor;
  requestId?: string | null;
  /** The business date the loans' DPD and buckets are computed for. */
  today: BusinessDate;
  bucketTable: BucketTable;
  source: LoanSource;
  /** What to do with a loanNumber the book already has: refuse (API) or leave it be (re-import). */
  onExisting: 'error' | 'skip';
}

export interface CreatedLoan {
  id: number;
  loanNumber: string;
  borrowerId: number;
  dpd: number;
  bucket: string;
}

export interface CreateLoansResult {
  created: CreatedLoan[];
  /** loanNumbers that were already in the book (onExisting: 'skip'). */
  skipped: string[];
}

const INSTALLMENT_ROWS_PER_STATEMENT = 3_000;
const LIVE_STATUSES = ['ACTIVE', 'LEGAL'] as const;

type Tx = Transaction<Database>;

/** Ids reserved from a table's identity sequence, so related rows can be written in bulk. */
async function reserveIds(trx: Tx, table: 'borrowers' | 'loans', count: number): Promise<number[]> {
  if (count === 0) return [];
  const result = await sql<{ id: number }>`
    SELECT nextval(pg_get_serial_sequence(${table}, 'id')) AS id FROM generate_series(1, ${count})`.execute(trx);
  return result.rows.map((row) => Number(row.id));
}

/**
 * Adds loans to the book in the caller's transaction: borrowers (matched on customerRef, else
 * new), loans with their schedules, today's DPD and bucket (borrower-wide NPA included, which can
 * move the borrower's other loans too), a first bucket-history row, and an audit entry each.
 * Either every loan of the call is written or, on an error, the caller's transaction rolls back.
 */
export async function createLoans(
  trx: Tx,
  inputs: readonly NewLoanInput[],
  ctx: CreateLoansContext,
): Promise<CreateLoansResult> {
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    if (seen.has(input.loanNumber)) {
      throw new ValidationError([{ path: `${index}.loanNumber`, message: `${input.loanNumber} appears twice` }]);
    }
    seen.add(input.loanNumber);
  });

  const existing = new Set(
    inputs.length === 0
      ? []
      : (
          await trx
            .selectFrom('loans')
            .select('loan_number')
            .where('loan_number', 'in', inputs.map((input) => input.loanNumber))
            .execute()
        ).map((row) => row.loan_number),
  );
  if (existing.size > 0 && ctx.onExisting === 'error') {
    const [first] = existing;
    throw new ConflictError('DUPLICATE_LOAN_NUMBER', `loan ${first} already exists`, { loanNumbers: [...existing] });
  }
  const fresh = inputs.filter((input) => !existing.has(input.loanNumber));
  if (fresh.length === 0) return { created: [], skipped: [...existing] };

  const plans = fresh.map((input, index) => {
    try {
      return planLoan(input, ctx.today);
    } catch (error) {
      // In a batch, say which loan: its position and number lead every path.
      if (error instanceof ValidationError && fresh.length > 1) {
        throw new ValidationError(
          error.issues.map((issue) => ({ path: `${index}.${issue.path}`, message: `${input.loanNumber}: ${issue.message}` })),
        );
      }
      throw error;
    }
  });
  await checkCollectors(trx, fresh);
  const borrowerIds = await resolveBorrowers(trx, fresh);
  const loanIds = await reserveIds(trx, 'loans', fresh.length);

  const newLoans = fresh.map((input, index) => ({
    input,
    plan: plans[index] as LoanPlan,
    id: loanIds[index] as number,
    borrowerId: borrowerIds[index] as number,
  }));
  const { bucketOf, siblingMoves } = await classify(trx, newLoans, ctx.bucketTable);

  try {
    await trx
      .insertInto('loans')
      .values(
        newLoans.map(({ input, plan, id, borrowerId }) => ({
          id,
          loan_number: input.loanNumber,
          borrower_id: borrowerId,
          collector_id: input.collectorId ?? null,
          principal_paise: input.principalPaise,
          annual_rate_bps: input.annualRateBps,
          tenure_months: input.tenureMonths,
          disbursed_on: input.disbursedOn,
          first_due_on: plan.firstDueOn,
          status: plan.principalOutstandingPaise + plan.interestOutstandingPaise === 0 ? 'CLOSED' : 'ACTIVE',
          closed_at: plan.principalOutstandingPaise + plan.interestOutstandingPaise === 0 ? new Date() : null,
          dpd: plan.dpd,
          bucket: bucketOf.get(id) as string,
          dpd_as_of: ctx.today,
          principal_outstanding_paise: plan.principalOutstandingPaise,
          interest_outstanding_paise: plan.interestOutstandingPaise,
          tags: input.tags ?? [],
          notes: input.notes ?? null,
          source: ctx.source,
        })),
      )
      .execute();
  } catch (error) {
    if (isUniqueViolation(error, 'loans_loan_number_key')) {
      throw new ConflictError('DUPLICATE_LOAN_NUMBER', 'a loan with this loanNumber was created at the same time');
    }
    throw error;
  }

  const installmentRows: Insertable<Database['installments']>[] = newLoans.flatMap(({ plan, id }) =>
    plan.installments.map((inst) => ({
      loan_id: id,
      seq: inst.seq,
      due_on: inst.dueOn,
      principal_due_paise: inst.principalDuePaise,
      interest_due_paise: inst.interestDuePaise,
      principal_paid_paise: inst.principalPaidPaise,
      interest_paid_paise: inst.interestPaidPaise,
      paid_on:
        inst.principalPaidPaise === inst.principalDuePaise && inst.interestPaidPaise === inst.interestDuePaise
          ? ctx.today
          : null,
    })),
  );
  for (let start = 0; start < installmentRows.length; start += INSTALLMENT_ROWS_PER_STATEMENT) {
    await trx
      .insertInto('installments')
      .values(installmentRows.slice(start, start + INSTALLMENT_ROWS_PER_STATEMENT))
      .execute();
  }

  await trx
    .insertInto('bucket_history')
    .values([
      ...newLoans.map(({ id, plan }) => ({
        loan_id: id,
        business_date: ctx.today,
        from_bucket: null,
        to_bucket: bucketOf.get(id) as string,
        dpd: plan.dpd,
        cause: 'ONBOARDING' as const,
      })),
      ...siblingMoves.map((move) => ({
        loan_id: move.loanId,
        business_date: ctx.today,
        from_bucket: move.from,
        to_bucket: move.to,
        dpd: move.dpd,
        cause: 'ONBOARDING' as const,
      })),
    ])
    .execute();
  for (const move of siblingMoves) {
    await trx
      .updateTable('loans')
      .set({ bucket: move.to, version: sql`version + 1` })
      .where('id', '=', move.loanId)
      .execute();
  }

  const audit: AuditEntry[] = newLoans.map(({ input, plan, id, borrowerId }) => ({
    actor: ctx.actor,
    action: 'LOAN_CREATED',
    entityType: 'loan',
    entityId: id,
    requestId: ctx.requestId ?? null,
    after: {
      loanNumber: input.loanNumber,
      borrowerId,
      collectorId: input.collectorId ?? null,
      principalPaise: input.principalPaise,
      annualRateBps: input.annualRateBps,
      tenureMonths: input.tenureMonths,
      disbursedOn: input.disbursedOn,
      firstDueOn: plan.firstDueOn,
      installments: plan.installments.length,
      scheduleGiven: input.installments !== undefined,
      paidToDatePaise: input.paidToDatePaise ?? 0,
      dpd: plan.dpd,
      bucket: bucketOf.get(id),
    },
    metadata: { source: ctx.source },
  }));
  for (const move of siblingMoves) {
    audit.push({
      actor: ctx.actor,
      action: 'LOAN_RECLASSIFIED',
      entityType: 'loan',
      entityId: move.loanId,
      requestId: ctx.requestId ?? null,
      before: { bucket: move.from },
      after: { bucket: move.to },
      metadata: { reason: 'borrower-wide NPA: another loan of the borrower was onboarded' },
    });
  }
  await recordAudit(trx, audit);

  return {
    created: newLoans.map(({ input, id, borrowerId, plan }) => ({
      id,
      loanNumber: input.loanNumber,
      borrowerId,
      dpd: plan.dpd,
      bucket: bucketOf.get(id) as string,
    })),
    skipped: [...existing],
  };
}

async function checkCollectors(trx: Tx, inputs: readonly NewLoanInput[]): Promise<void> {
  const wanted = [...new Set(inputs.flatMap((input) => (input.collectorId === undefined ? [] : [input.collectorId])))];
  if (wanted.length === 0) return;
  const found = new Set(
    (await trx.selectFrom('collectors').select('id').where('id', 'in', wanted).where('active', '=', true).execute()).map(
      (row) => row.id,
    ),
  );
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new LoanOpsError('COLLECTOR_NOT_FOUND', `no active collector with id ${missing.join(', ')}`, {
      status: 422,
      details: [{ path: 'collectorId', message: `no active collector with id ${missing.join(', ')}` }],
    });
  }
}

/**
 * The borrower of each input: an existing borrower with the same customerRef (whose stored details
 * are kept: contact changes go through edits), else a new one.
 */
async function resolveBorrowers(trx: Tx, inputs: readonly NewLoanInput[]): Promise<number[]> {
  const firstByRef = new Map<string, NewLoanInput>();
  for (const input of inputs) {
    const ref = input.borrower.customerRef;
    if (ref !== undefined && !firstByRef.has(ref)) firstByRef.set(ref, input);
  }
  const byRef = new Map<string, number>();
  if (firstByRef.size > 0) {
    await trx
      .insertInto('borrowers')
      .values([...firstByRef.values()].map((input) => borrowerRow(input)))
      .onConflict((conflict) => conflict.column('customer_ref').doNothing())
      .execute();
    const rows = await trx
      .selectFrom('borrowers')
      .select(['id', 'customer_ref'])
      .where('customer_ref', 'in', [...firstByRef.keys()])
      .forUpdate()
      .execute();
    for (const row of rows) if (row.customer_ref !== null) byRef.set(row.customer_ref, row.id);
  }

  const anonymous = inputs.filter((input) => input.borrower.customerRef === undefined);
  const newIds = await reserveIds(trx, 'borrowers', anonymous.length);
  if (anonymous.length > 0) {
    await trx
      .insertInto('borrowers')
      .values(anonymous.map((input, index) => ({ id: newIds[index] as number, ...borrowerRow(input) })))
      .execute();
  }

  let next = 0;
  return inputs.map((input) => {
    const ref = input.borrower.customerRef;
    if (ref !== undefined) return byRef.get(ref) as number;
    const id = newIds[next] as number;
    next += 1;
    return id;
  });
}

function borrowerRow(input: NewLoanInput) {
  const { borrower } = input;
  return {
    customer_ref: borrower.customerRef ?? null,
    name: borrower.name,
    phone: borrower.phone,
    email: borrower.email ?? null,
    address: borrower.address ?? null,
    pin_code: borrower.pinCode ?? null,
    language: borrower.language,
  };
}

interface SiblingMove {
  loanId: number;
  from: string;
  to: string;
  dpd: number;
}

/** Buckets for the new loans, classified together with their borrowers' live loans. */
async function classify(
  trx: Tx,
  newLoans: readonly { id: number; borrowerId: number; plan: LoanPlan }[],
  table: BucketTable,
): Promise<{ bucketOf: Map<number, string>; siblingMoves: SiblingMove[] }> {
  const borrowerIds = [...new Set(newLoans.map((loan) => loan.borrowerId))];
  const siblings = await trx
    .selectFrom('loans')
    .select(['id', 'borrower_id', 'dpd', 'bucket'])
    .where('borrower_id', 'in', borrowerIds)
    .where('status', 'in', LIVE_STATUSES)
    .orderBy('id')
    .forUpdate()
    .execute();

  const byBorrower = new Map<number, { id: number; dpd: number; bucket: string | null; isNew: boolean }[]>();
  for (const row of siblings) {
    const list = byBorrower.get(row.borrower_id) ?? [];
    list.push({ id: row.id, dpd: row.dpd, bucket: row.bucket, isNew: false });
    byBorrower.set(row.borrower_id, list);
  }
  const bucketOf = new Map<number, string>();
  for (const loan of newLoans) {
    // A loan brought in already repaid in full is closed: performing, and no part of the borrower's standing.
    if (loan.plan.principalOutstandingPaise + loan.plan.interestOutstandingPaise === 0) {
      bucketOf.set(loan.id, performingBucketName(table));
      continue;
    }
    const list = byBorrower.get(loan.borrowerId) ?? [];
    list.push({ id: loan.id, dpd: loan.plan.dpd, bucket: null, isNew: true });
    byBorrower.set(loan.borrowerId, list);
  }

  const siblingMoves: SiblingMove[] = [];
  for (const loans of byBorrower.values()) {
    const classes = classifyBorrowerLoans(loans, table);
    for (const loan of loans) {
      const bucket = classes.get(loan.id) as string;
      if (loan.isNew) bucketOf.set(loan.id, bucket);
      else if (bucket !== loan.bucket && loan.bucket !== null) {
        siblingMoves.push({ loanId: loan.id, from: loan.bucket, to: bucket, dpd: loan.dpd });
      }
    }
  }
  return { bucketOf, siblingMoves };
}

/** One loan, in a transaction of its own. */
export async function createLoan(
  db: Kysely<Database>,
  input: NewLoanInput,
  ctx: Omit<CreateLoansContext, 'onExisting'>,
): Promise<CreatedLoan> {
  const result = await db.transaction().execute((trx) => createLoans(trx, [input], { ...ctx, onExisting: 'error' }));
  const [created] = result.created;
  if (!created) throw new Error('createLoans returned no loan');
  return created;
}
