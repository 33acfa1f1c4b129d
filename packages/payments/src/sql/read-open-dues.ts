import { sql, type Transaction } from 'kysely';
import type { OpenCharge, OpenInstallment } from '@loanops/domain';
import type { Database } from '@loanops/db';

/** A loan's open charges and unpaid installments, in one round trip, oldest first. */
export async function readOpenDues(
  trx: Transaction<Database>,
  loanId: number,
): Promise<{ charges: OpenCharge[]; installments: OpenInstallment[] }> {
  const result = await sql<{ kind: 'I' | 'C'; id: number; seq: number; due_on: string; interest: number; principal: number }>`
    SELECT 'I' AS kind, id, seq, due_on, interest_due_paise - interest_paid_paise AS interest,
           principal_due_paise - principal_paid_paise AS principal
    FROM installments
    WHERE loan_id = ${loanId}
      AND (principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
    UNION ALL
    SELECT 'C', id, 0, levied_on, 0, amount_paise - paid_paise
    FROM loan_charges
    WHERE loan_id = ${loanId} AND paid_paise < amount_paise`.execute(trx);
  const charges: OpenCharge[] = [];
  const installments: OpenInstallment[] = [];
  for (const row of result.rows) {
    if (row.kind === 'C') {
      charges.push({ id: Number(row.id), leviedOn: row.due_on, outstandingPaise: Number(row.principal) });
    } else {
      installments.push({
        id: Number(row.id),
        seq: row.seq,
        dueOn: row.due_on,
        interestOutstandingPaise: Number(row.interest),
        principalOutstandingPaise: Number(row.principal),
      });
    }
  }
  return { charges, installments };
}
