import type { Kysely } from 'kysely';
import {
  ConflictError,
  LoanOpsError,
  businessDateAt,
  checkPaymentRules,
  type BusinessDate,
} from '@loanops/domain';
import { isUniqueViolation, type Database } from '@loanops/db';
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

/**
 * The intake half of a payment: checks what can be checked now (loan, amount range, value-date
 * window in IST, a UTR already known) and stores the request. Once this returns, the request is
 * in Postgres and will end POSTED or REJECTED; enqueueing it is the caller's next step, and the
 * sweeper's if that step is lost.
 */
export async function acceptPayment(
  db: Kysely<Database>,
  request: PaymentRequest,
  context: { receivedBy: string; requestId: string | null; now: Date },
): Promise<AcceptedPayment> {
  const loan = await db
    .selectFrom('loans')
    .select(['id', 'status', 'total_outstanding_paise'])
    .$if(request.loanId !== undefined, (q) => q.where('id', '=', request.loanId as number))
    .$if(request.loanNumber !== undefined, (q) => q.where('loan_number', '=', request.loanNumber as string))
    .executeTakeFirst();
  if (!loan) {
    const field = request.loanId !== undefined ? 'loanId' : 'loanNumber';
    throw new LoanOpsError('LOAN_NOT_FOUND', `no loan ${request.loanId ?? request.loanNumber}`, {
      status: 422,
      details: [{ path: field, message: 'no such loan' }],
    });
  }

  const receivedOn: BusinessDate = businessDateAt(context.now);
  const breach = checkPaymentRules({
    amountPaise: request.amountPaise,
    valueDate: request.valueDate,
    receivedOn,
    loanStatus: loan.status,
    loanOutstandingPaise: loan.total_outstanding_paise,
  });
  if (breach) {
    throw new LoanOpsError(breach.code, breach.message, {
      status: 422,
      details: breach.field ? [{ path: breach.field, message: breach.message }] : undefined,
    });
  }

  // The unique index on live intakes is what makes this exact under concurrency; this read only
  // answers the common case without an insert.
  const known = await db
    .selectFrom('payment_intake')
    .select('id')
    .where('utr', '=', request.utr)
    .where('status', '<>', 'REJECTED')
    .executeTakeFirst();
  if (known) throw new DuplicateUtrError(request.utr);

  try {
    const row = await db
      .insertInto('payment_intake')
      .values({
        utr: request.utr,
        loan_id: loan.id,
        amount_paise: request.amountPaise,
        value_date: request.valueDate,
        mode: request.mode,
        received_by: context.receivedBy,
        request_id: context.requestId,
        received_at: context.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { intakeId: row.id, status: 'RECEIVED' };
  } catch (error) {
    if (isUniqueViolation(error, 'payment_intake_live_utr')) throw new DuplicateUtrError(request.utr);
    throw error;
  }
}
