import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ConflictError, LoanOpsError, businessDateAt, checkPaymentRules, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { PaymentRequest } from './payment-input.js';

export interface AcceptedPayment {
  intakeId: string;
  status: 'RECEIVED';
}

export class DuplicateUtrError extends ConflictError {
  constructor(utr: string) {
    super('DUPLICATE_UTR', `UTR ${utr} has already been received`);
    this.name = 'DuplicateUtrError';
  }
}

export interface IntakeRequest {
  request: PaymentRequest;
  receivedBy: string;
  requestId: string | null;
}

export type IntakeResult = { ok: true; accepted: AcceptedPayment } | { ok: false; error: LoanOpsError };

/**
 * The intake half of payments, for many requests at once: checks what can be checked now (the loan
 * exists and takes payments, amount range, value-date window in IST, amount not above what is
 * outstanding, UTR not already known) and stores every request that passes, in one statement. Once
 * this returns, an accepted request is in Postgres and will end POSTED or REJECTED; enqueueing it
 * is the caller's next step, and the sweeper's if that step is lost.
 *
 * The partial unique index on live intakes decides between concurrent requests with one UTR: one is
 * stored, the others get DUPLICATE_UTR, whether they came in one batch or in several.
 */
export async function acceptPayments(
  db: Kysely<Database>,
  requests: readonly IntakeRequest[],
  now: Date,
): Promise<IntakeResult[]> {
  if (requests.length === 0) return [];
  const ids = requests.flatMap(({ request }) => (request.loanId === undefined ? [] : [request.loanId]));
  const numbers = requests.flatMap(({ request }) => (request.loanNumber === undefined ? [] : [request.loanNumber]));
  const loans = await sql<{ id: number; loan_number: string; status: string; total_outstanding_paise: number }>`/*prepared:intake-loans*/
    SELECT id, loan_number, status, total_outstanding_paise FROM loans
    WHERE id = ANY(${ids}::bigint[]) OR loan_number = ANY(${numbers}::text[])`.execute(db);
  const byId = new Map(loans.rows.map((row) => [Number(row.id), row]));
  const byNumber = new Map(loans.rows.map((row) => [row.loan_number, row]));
  // Within the batch the first request with a UTR takes it; against what is stored, the insert's
  // ON CONFLICT on the live-UTR index decides (no read needed: it answers the same question exactly).
  const taken = new Set<string>();

  const receivedOn: BusinessDate = businessDateAt(now);
  const results: IntakeResult[] = [];
  const rows: { id: string; utr: string; loanId: number; request: IntakeRequest }[] = [];
  for (const entry of requests) {
    const { request } = entry;
    const loan = request.loanId !== undefined ? byId.get(request.loanId) : byNumber.get(request.loanNumber as string);
    if (!loan) {
      const field = request.loanId !== undefined ? 'loanId' : 'loanNumber';
      results.push({
        ok: false,
        error: new LoanOpsError('LOAN_NOT_FOUND', `no loan ${request.loanId ?? request.loanNumber}`, {
          status: 422,
          details: [{ path: field, message: 'no such loan' }],
        }),
      });
      continue;
    }
    const breach = checkPaymentRules({
      amountPaise: request.amountPaise,
      valueDate: request.valueDate,
      receivedOn,
      loanStatus: loan.status,
      loanOutstandingPaise: Number(loan.total_outstanding_paise),
    });
    if (breach) {
      results.push({
        ok: false,
        error: new LoanOpsError(breach.code, breach.message, {
          status: 422,
          details: breach.field ? [{ path: breach.field, message: breach.message }] : undefined,
        }),
      });
      continue;
    }
    if (taken.has(request.utr)) {
      results.push({ ok: false, error: new DuplicateUtrError(request.utr) });
      continue;
    }
    taken.add(request.utr);
    const id = randomUUID();
    rows.push({ id, utr: request.utr, loanId: Number(loan.id), request: entry });
    results.push({ ok: true, accepted: { intakeId: id, status: 'RECEIVED' } });
  }
  if (rows.length === 0) return results;

  const inserted = await sql<{ id: string }>`/*prepared:intake-insert*/
    INSERT INTO payment_intake (id, utr, loan_id, amount_paise, value_date, mode, received_by, request_id, received_at)
    SELECT r.id, r.utr, r.loan_id, r.amount, r.value_date, r.mode, r.received_by, r.request_id, ${now}::timestamptz
    FROM unnest(
      ${rows.map((row) => row.id)}::uuid[],
      ${rows.map((row) => row.utr)}::text[],
      ${rows.map((row) => row.loanId)}::bigint[],
      ${rows.map((row) => row.request.request.amountPaise)}::bigint[],
      ${rows.map((row) => row.request.request.valueDate)}::date[],
      ${rows.map((row) => row.request.request.mode)}::text[],
      ${rows.map((row) => row.request.receivedBy)}::text[],
      ${rows.map((row) => row.request.requestId)}::text[]
    ) AS r(id, utr, loan_id, amount, value_date, mode, received_by, request_id)
    ON CONFLICT (utr) WHERE status <> 'REJECTED' DO NOTHING
    RETURNING id`.execute(db);
  const stored = new Set(inserted.rows.map((row) => row.id));
  const utrOf = new Map(rows.map((row) => [row.id, row.utr]));
  // Not stored: the UTR is already live, received before or by a concurrent batch.
  return results.map((result) =>
    result.ok && !stored.has(result.accepted.intakeId)
      ? { ok: false, error: new DuplicateUtrError(utrOf.get(result.accepted.intakeId) ?? '') }
      : result,
  );
}

/** One request: acceptPayments of one, throwing its error. */
export async function acceptPayment(
  db: Kysely<Database>,
  request: PaymentRequest,
  context: { receivedBy: string; requestId: string | null; now: Date },
): Promise<AcceptedPayment> {
  const [result] = await acceptPayments(db, [{ request, receivedBy: context.receivedBy, requestId: context.requestId }], context.now);
  if (!result) throw new Error('acceptPayments returned nothing');
  if (!result.ok) throw result.error;
  return result.accepted;
}
