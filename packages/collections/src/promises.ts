import { sql, type Kysely, type Transaction } from 'kysely';
import { MAX_BACKDATE_DAYS, NotFoundError, ValidationError, addDays, type BusinessDate } from '@loanops/domain';
import { recordAudit, type Actor, type Database, type PromiseStatus } from '@loanops/db';
import { PromiseRuleError } from './errors.js';
import { checkPromiseRules, judgePromise, type PaymentOnLoan } from './rules/promise-rules.js';

export const PROMISE_STATUSES = ['OPEN', 'KEPT', 'BROKEN', 'SUPERSEDED'] as const satisfies readonly PromiseStatus[];

export interface PromiseView {
  id: number;
  loanId: number;
  loanNumber: string;
  collectorId: number | null;
  madeBy: string;
  madeOn: BusinessDate;
  madeAt: string;
  amountPaise: number;
  promisedOn: BusinessDate;
  status: PromiseStatus;
  paidPaise: number | null;
  resolvedOn: BusinessDate | null;
  supersededBy: number | null;
}

export interface NewPromise {
  loanId: number;
  amountPaise: number;
  promisedOn: BusinessDate;
}

export interface PromiseContext {
  actor: Actor;
  requestId: string | null;
  today: BusinessDate;
  /** When it is recorded: payments posted before this do not count towards it (the posting clock is the application's too). */
  now: Date;
  /** A collector records promises only on loans allocated to them. */
  collectorScope?: number | undefined;
}

type Db = Kysely<Database> | Transaction<Database>;

function promiseQuery(db: Db) {
  return db
    .selectFrom('promises')
    .innerJoin('loans', 'loans.id', 'promises.loan_id')
    .select([
      'promises.id',
      'promises.loan_id',
      'loans.loan_number',
      'promises.collector_id',
      'promises.made_by',
      'promises.made_on',
      'promises.made_at',
      'promises.amount_paise',
      'promises.promised_on',
      'promises.status',
      'promises.paid_paise',
      'promises.resolved_on',
      'promises.superseded_by',
    ]);
}

type PromiseRow = Awaited<ReturnType<ReturnType<typeof promiseQuery>['executeTakeFirstOrThrow']>>;

function toView(row: PromiseRow): PromiseView {
  return {
    id: row.id,
    loanId: row.loan_id,
    loanNumber: row.loan_number,
    collectorId: row.collector_id,
    madeBy: row.made_by,
    madeOn: row.made_on,
    madeAt: row.made_at.toISOString(),
    amountPaise: row.amount_paise,
    promisedOn: row.promised_on,
    status: row.status,
    paidPaise: row.paid_paise,
    resolvedOn: row.resolved_on,
    supersededBy: row.superseded_by,
  };
}

/**
 * Records a promise to pay, in one transaction: locks the loan (a collector's must be allocated to
 * them, else 404), judges an earlier promise whose date has passed, checks the rules, supersedes
 * the open promise if there is one (recorded on both), and audits it all.
 */
export async function createPromise(db: Kysely<Database>, input: NewPromise, context: PromiseContext): Promise<PromiseView> {
  return db.transaction().execute(async (trx) => {
    let loanQuery = trx
      .selectFrom('loans')
      .select(['id', 'status', 'total_outstanding_paise', 'collector_id'])
      .where('id', '=', input.loanId);
    if (context.collectorScope !== undefined) loanQuery = loanQuery.where('collector_id', '=', context.collectorScope);
    const loan = await loanQuery.forUpdate().executeTakeFirst();
    if (!loan) throw new NotFoundError('loan', input.loanId);

    const breaches = checkPromiseRules(input, { status: loan.status, totalOutstandingPaise: loan.total_outstanding_paise }, context.today);
    if (breaches.length > 0) throw new PromiseRuleError(breaches);

    await judgePromises(trx, await lockDuePromises(trx, context.today, { loanId: loan.id }), context.today, context.actor);

    const { id } = (
      await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('promises', 'id'))::bigint AS id`.execute(trx)
    ).rows[0] as { id: number };
    const newId = Number(id);
    const superseded = await trx
      .updateTable('promises')
      .set({ status: 'SUPERSEDED', superseded_by: newId, resolved_on: context.today })
      .where('loan_id', '=', loan.id)
      .where('status', '=', 'OPEN')
      .returning(['id', 'amount_paise', 'promised_on'])
      .execute();
    await sql`
      INSERT INTO promises (id, loan_id, collector_id, made_by, made_on, made_at, amount_paise, promised_on)
      OVERRIDING SYSTEM VALUE
      VALUES (${newId}, ${loan.id}, ${loan.collector_id}, ${`${context.actor.role ?? context.actor.type}:${context.actor.id}`},
              ${context.today}::date, ${context.now}, ${input.amountPaise}, ${input.promisedOn}::date)`.execute(trx);
    await recordAudit(trx, [
      ...superseded.map((old) => ({
        actor: context.actor,
        action: 'PROMISE_SUPERSEDED',
        entityType: 'promise',
        entityId: old.id,
        before: { status: 'OPEN', amountPaise: old.amount_paise, promisedOn: old.promised_on },
        after: { status: 'SUPERSEDED', supersededBy: newId },
        metadata: { loanId: loan.id },
        requestId: context.requestId,
      })),
      {
        actor: context.actor,
        action: 'PROMISE_RECORDED',
        entityType: 'promise',
        entityId: newId,
        after: { loanId: loan.id, amountPaise: input.amountPaise, promisedOn: input.promisedOn, collectorId: loan.collector_id },
        metadata: { supersedes: superseded.map((old) => old.id) },
        requestId: context.requestId,
      },
    ]);
    return toView(await promiseQuery(trx).where('promises.id', '=', newId).executeTakeFirstOrThrow());
  });
}

export interface PromiseFilters {
  loanId?: number | undefined;
  collectorId?: number | undefined;
  status?: PromiseStatus | undefined;
  promisedFrom?: BusinessDate | undefined;
  promisedTo?: BusinessDate | undefined;
  cursor?: number | undefined;
  limit: number;
}

/** A page of promises, newest first; a collector sees those on the loans allocated to them. */
export async function listPromises(
  db: Kysely<Database>,
  filters: PromiseFilters,
  scope: { collectorId?: number | undefined } = {},
): Promise<{ items: PromiseView[]; nextCursor: number | null }> {
  if (filters.promisedFrom && filters.promisedTo && filters.promisedFrom > filters.promisedTo) {
    throw new ValidationError([{ path: 'promisedTo', message: 'must not be before promisedFrom' }]);
  }
  let query = promiseQuery(db);
  if (filters.cursor !== undefined) query = query.where('promises.id', '<', filters.cursor);
  if (filters.loanId !== undefined) query = query.where('promises.loan_id', '=', filters.loanId);
  if (filters.collectorId !== undefined) query = query.where('promises.collector_id', '=', filters.collectorId);
  if (filters.status !== undefined) query = query.where('promises.status', '=', filters.status);
  if (filters.promisedFrom !== undefined) query = query.where('promises.promised_on', '>=', filters.promisedFrom);
  if (filters.promisedTo !== undefined) query = query.where('promises.promised_on', '<=', filters.promisedTo);
  if (scope.collectorId !== undefined) query = query.where('loans.collector_id', '=', scope.collectorId);
  const rows = await query.orderBy('promises.id', 'desc').limit(filters.limit + 1).execute();
  const page = rows.slice(0, filters.limit);
  return { items: page.map(toView), nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null };
}

interface DuePromise {
  id: number;
  loan_id: number;
  amount_paise: number;
  made_on: BusinessDate;
  made_at: Date;
  promised_on: BusinessDate;
}

async function lockDuePromises(
  trx: Transaction<Database>,
  today: BusinessDate,
  options: { loanId?: number; limit?: number },
): Promise<DuePromise[]> {
  let query = trx
    .selectFrom('promises')
    .select(['id', 'loan_id', 'amount_paise', 'made_on', 'made_at', 'promised_on'])
    .where('status', '=', 'OPEN')
    .where('promised_on', '<', today);
  if (options.loanId !== undefined) query = query.where('loan_id', '=', options.loanId);
  return query
    .orderBy('id')
    .limit(options.limit ?? 1_000)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** The payments on the promises' loans that may count towards them (see paidTowardsPromise). */
async function paymentsByLoan(trx: Transaction<Database>, promises: readonly DuePromise[]): Promise<Map<number, PaymentOnLoan[]>> {
  const byLoan = new Map<number, PaymentOnLoan[]>();
  if (promises.length === 0) return byLoan;
  const loanIds = [...new Set(promises.map((promise) => promise.loan_id))];
  const earliest = promises.reduce((min, promise) => (promise.made_on < min ? promise.made_on : min), promises[0]?.made_on as string);
  const payments = await trx
    .selectFrom('payments')
    .select(['loan_id', 'amount_paise', 'value_date', 'posted_at', 'status'])
    .where('loan_id', 'in', loanIds)
    .where('value_date', '>=', earliest)
    .execute();
  for (const payment of payments) {
    const list = byLoan.get(payment.loan_id) ?? [];
    list.push({
      amountPaise: payment.amount_paise,
      valueDate: payment.value_date,
      postedAt: payment.posted_at,
      reversed: payment.status === 'REVERSED',
    });
    byLoan.set(payment.loan_id, list);
  }
  return byLoan;
}

/** judgePromise for a promise row, against the payments on its loan. */
function judgeAgainst(promise: DuePromise, byLoan: ReadonlyMap<number, PaymentOnLoan[]>, today: BusinessDate) {
  return judgePromise(
    { amountPaise: promise.amount_paise, madeOn: promise.made_on, madeAt: promise.made_at, promisedOn: promise.promised_on },
    byLoan.get(promise.loan_id) ?? [],
    today,
  );
}

/** Judges locked promises against their loans' payments (see judgePromise) and records the outcome. */
async function judgePromises(
  trx: Transaction<Database>,
  due: readonly DuePromise[],
  today: BusinessDate,
  actor: Actor,
): Promise<{ kept: number; broken: number }> {
  if (due.length === 0) return { kept: 0, broken: 0 };
  const byLoan = await paymentsByLoan(trx, due);
  let kept = 0;
  let broken = 0;
  for (const promise of due) {
    const judgement = judgeAgainst(promise, byLoan, today);
    if (judgement.status === 'OPEN') continue;
    if (judgement.status === 'KEPT') kept += 1;
    else broken += 1;
    await trx
      .updateTable('promises')
      .set({ status: judgement.status, paid_paise: judgement.paidPaise, resolved_on: judgement.resolvedOn })
      .where('id', '=', promise.id)
      .execute();
    await recordAudit(trx, {
      actor,
      action: judgement.status === 'KEPT' ? 'PROMISE_KEPT' : 'PROMISE_BROKEN',
      entityType: 'promise',
      entityId: promise.id,
      before: { status: 'OPEN' },
      after: { status: judgement.status, paidPaise: judgement.paidPaise, resolvedOn: judgement.resolvedOn },
      metadata: { loanId: promise.loan_id, amountPaise: promise.amount_paise, promisedOn: promise.promised_on },
    });
  }
  return { kept, broken };
}

type JudgedPromise = DuePromise & { status: PromiseStatus; paid_paise: number | null };

/**
 * Verdicts that a late payment may still change. A payment can be value-dated up to
 * MAX_BACKDATE_DAYS before the day it is received, so one made on the promised date can post a week
 * after the verdict, and a payment that kept a promise can be reversed. Verdicts whose promised date
 * is within that window are looked at again when such a payment (posted or reversed on or after the
 * verdict's day, value-dated inside the promise's window) exists; older verdicts stand.
 */
async function lockVerdictsToReview(trx: Transaction<Database>, today: BusinessDate, afterId: number, limit: number): Promise<JudgedPromise[]> {
  return trx
    .selectFrom('promises')
    .select(['id', 'loan_id', 'amount_paise', 'made_on', 'made_at', 'promised_on', 'status', 'paid_paise'])
    .where('status', 'in', ['KEPT', 'BROKEN'])
    .where('promised_on', '>=', addDays(today, -(MAX_BACKDATE_DAYS + 1)))
    .where('promised_on', '<', today)
    .where('id', '>', afterId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('payments as p')
          .select(sql`1`.as('one'))
          .whereRef('p.loan_id', '=', 'promises.loan_id')
          .whereRef('p.value_date', '>=', 'promises.made_on')
          .whereRef('p.value_date', '<=', 'promises.promised_on')
          .where(
            sql<boolean>`((p.posted_at AT TIME ZONE 'Asia/Kolkata')::date > promises.promised_on
              OR (p.reversed_at AT TIME ZONE 'Asia/Kolkata')::date > promises.promised_on)`,
          ),
      ),
    )
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Judges the verdicts again and records those that change (PROMISE_REJUDGED, audited with before and after). */
async function reviewVerdicts(trx: Transaction<Database>, verdicts: readonly JudgedPromise[], today: BusinessDate, actor: Actor): Promise<number> {
  const byLoan = await paymentsByLoan(trx, verdicts);
  let changed = 0;
  for (const promise of verdicts) {
    const judgement = judgeAgainst(promise, byLoan, today);
    if (judgement.status === 'OPEN') continue;
    if (judgement.status === promise.status && judgement.paidPaise === promise.paid_paise) continue;
    changed += 1;
    await trx
      .updateTable('promises')
      .set({ status: judgement.status, paid_paise: judgement.paidPaise, resolved_on: judgement.resolvedOn })
      .where('id', '=', promise.id)
      .execute();
    await recordAudit(trx, {
      actor,
      action: 'PROMISE_REJUDGED',
      entityType: 'promise',
      entityId: promise.id,
      before: { status: promise.status, paidPaise: promise.paid_paise },
      after: { status: judgement.status, paidPaise: judgement.paidPaise, resolvedOn: judgement.resolvedOn },
      metadata: {
        loanId: promise.loan_id,
        amountPaise: promise.amount_paise,
        promisedOn: promise.promised_on,
        reason: 'a payment in the promise window was posted late or reversed after the verdict',
      },
    });
  }
  return changed;
}

/**
 * Judges every open promise whose date is before `today`: KEPT or BROKEN, audited; then looks again
 * at recent verdicts a late-posted or reversed payment may have changed (see lockVerdictsToReview).
 * In batches, each its own transaction; promises locked by another judge are left to it, so two at
 * once judge each once.
 */
export async function resolveDuePromises(
  db: Kysely<Database>,
  today: BusinessDate,
  actor: Actor,
): Promise<{ kept: number; broken: number; rejudged: number }> {
  const total = { kept: 0, broken: 0, rejudged: 0 };
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      const due = await lockDuePromises(trx, today, { limit: 500 });
      return { count: due.length, ...(await judgePromises(trx, due, today, actor)) };
    });
    total.kept += batch.kept;
    total.broken += batch.broken;
    if (batch.count < 500) break;
  }
  let afterId = 0;
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      const verdicts = await lockVerdictsToReview(trx, today, afterId, 500);
      return { count: verdicts.length, lastId: verdicts.at(-1)?.id ?? afterId, changed: await reviewVerdicts(trx, verdicts, today, actor) };
    });
    total.rejudged += batch.changed;
    afterId = batch.lastId;
    if (batch.count < 500) return total;
  }
}
