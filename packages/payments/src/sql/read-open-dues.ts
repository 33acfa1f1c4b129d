import { sql, type Transaction } from 'kysely';
import type { OpenCharge, OpenInstallment } from '@loanops/domain';
import type { Database } from '@loanops/db';

export interface OpenDues {
  charges: OpenCharge[];
  installments: OpenInstallment[];
}

/** Open charges and unpaid installments of the given loans, in one round trip. */
export async function readOpenDues(trx: Transaction<Database>, loanIds: readonly number[]): Promise<Map<number, OpenDues>> {
  const dues = new Map<number, OpenDues>(loanIds.map((id) => [id, { charges: [], installments: [] }]));
  if (loanIds.length === 0) return dues;
  const result = await sql<{
    kind: 'I' | 'C';
    loan_id: number;
    id: number;
    seq: number;
    due_on: string;
    interest: number;
    principal: number;
  }>`/*prepared:open-dues*/
    SELECT 'I' AS kind, loan_id, id, seq, due_on, interest_due_paise - interest_paid_paise AS interest,
           principal_due_paise - principal_paid_paise AS principal
    FROM installments
    WHERE loan_id = ANY(${loanIds}::bigint[])
      AND (principal_paid_paise < principal_due_paise OR interest_paid_paise < interest_due_paise)
    UNION ALL
    SELECT 'C', loan_id, id, 0, levied_on, 0, amount_paise - paid_paise
    FROM loan_charges
    WHERE loan_id = ANY(${loanIds}::bigint[]) AND paid_paise < amount_paise`.execute(trx);
  for (const row of result.rows) {
    const entry = dues.get(Number(row.loan_id));
    if (!entry) continue;
    if (row.kind === 'C') {
      entry.charges.push({ id: Number(row.id), leviedOn: row.due_on, outstandingPaise: Number(row.principal) });
    } else {
      entry.installments.push({
        id: Number(row.id),
        seq: row.seq,
        dueOn: row.due_on,
        interestOutstandingPaise: Number(row.interest),
        principalOutstandingPaise: Number(row.principal),
      });
    }
  }
  return dues;
}
