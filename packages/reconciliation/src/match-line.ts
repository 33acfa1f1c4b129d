import { normalizeUtr } from '@loanops/domain';
import type { ReconciliationOutcome } from '@loanops/db';
import type { StatementLine } from './parse-statement.js';

/** A payment whose UTR has the line's match key. */
export interface CandidatePayment {
  id: number;
  utr: string;
  status: 'POSTED' | 'REVERSED';
  amountPaise: number;
  valueDate: string;
  loanId: number;
}

/** What is known of payment requests with the line's UTR that never became a payment. */
export interface IntakeSeen {
  received: boolean;
  rejected: boolean;
}

export interface LineMatch {
  outcome: Exclude<ReconciliationOutcome, 'POSTED_NOT_IN_BANK'>;
  /** The payment's UTR when there is one, else the line's; null for NO_UTR. */
  utr: string | null;
  payment: CandidatePayment | null;
  note: string | null;
}

/**
 * Reconciles one credit of a statement with the payments whose UTR has the line's utrMatchKey.
 * A credit with no UTR can match nothing (NO_UTR). When several payments share the key (their
 * UTRs were written with different zero padding), the one written as the statement writes it is
 * taken; failing that none is, and the line is left for a person to match.
 */
export function matchLine(line: StatementLine, candidates: readonly CandidatePayment[], intake: IntakeSeen): LineMatch {
  if (line.utr === null) {
    return {
      outcome: 'NO_UTR',
      utr: null,
      payment: null,
      note: line.reference === '' ? 'no reference on the statement' : 'the reference is not a UTR (12 to 22 letters and digits)',
    };
  }
  const asWritten = normalizeUtr(line.reference).replace(/\s+/g, '');
  const payment = candidates.length === 1 ? candidates[0] : candidates.find((candidate) => candidate.utr === asWritten);
  if (payment === undefined) {
    let note: string | null = null;
    if (candidates.length > 1) note = `the UTR of ${candidates.length} payments (${candidates.map((c) => c.utr).join(', ')}); match by hand`;
    else if (intake.received) note = 'received, waiting to be posted';
    else if (intake.rejected) note = 'received and rejected';
    return { outcome: 'IN_BANK_NOT_POSTED', utr: line.utr, payment: null, note };
  }
  if (payment.status === 'REVERSED') return { outcome: 'IN_BANK_NOT_POSTED', utr: payment.utr, payment, note: 'the payment with this UTR was reversed' };
  if (payment.amountPaise === line.amountPaise) return { outcome: 'MATCHED', utr: payment.utr, payment, note: null };
  return { outcome: 'AMOUNT_MISMATCH', utr: payment.utr, payment, note: `bank ${line.amountPaise} paise, posted ${payment.amountPaise} paise` };
}
