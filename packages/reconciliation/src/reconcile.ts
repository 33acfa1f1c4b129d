import { sql, type Kysely } from 'kysely';
import { LoanOpsError, type BusinessDate } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import type { StatementLayout } from './layouts.js';
import { parseStatement, type StatementProblem } from './parse-statement.js';

/** A statement with wrong rows: 422 INVALID_STATEMENT, each problem with its row and field; nothing stored. */
export class InvalidStatementError extends LoanOpsError {
  constructor(readonly problems: readonly StatementProblem[]) {
    const shown = problems.slice(0, 5).map((p) => (p.row > 0 ? `row ${p.row}, ${p.column}: ${p.message}` : `${p.column}: ${p.message}`));
    super('INVALID_STATEMENT', `the statement has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${problems.length > 5 ? '; …' : ''}`, {
      status: 422,
      details: problems.slice(0, 1_000),
    });
    this.name = 'InvalidStatementError';
  }
}

export interface StatementSummary {
  id: number;
  fileName: string | null;
  layout: string;
  from: BusinessDate;
  to: BusinessDate;
  lines: number;
  counts: { MATCHED: number; AMOUNT_MISMATCH: number; IN_BANK_NOT_POSTED: number; POSTED_NOT_IN_BANK: number };
  bankTotalPaise: number;
  postedTotalPaise: number;
  importedBy: string;
  importedAt: string;
}

export interface ImportOptions {
  layoutName: string;
  layout: StatementLayout;
  fileName?: string | null;
  /** The statement's period; by default its first and last value dates. */
  from?: BusinessDate | undefined;
  to?: BusinessDate | undefined;
  actor: Actor;
  requestId?: string | null;
}

/**
 * Imports a bank statement and reconciles it with the posted payments, in one transaction: the
 * statement, its credits, and one item per credit (MATCHED, AMOUNT_MISMATCH, or IN_BANK_NOT_POSTED
 * — no payment with that UTR, or it was reversed) plus one per payment posted (not reversed) with
 * a value date in the statement's period whose UTR the bank does not show (POSTED_NOT_IN_BANK).
 * Payments are matched by UTR, the one reference both sides carry.
 */
export async function importStatement(db: Kysely<Database>, text: string, options: ImportOptions): Promise<StatementSummary> {
  const parsed = parseStatement(text, options.layout);
  const dates = parsed.lines.map((line) => line.valueDate).sort();
  const problems = [...parsed.problems];
  const first = dates[0];
  const last = dates[dates.length - 1];
  if (options.from !== undefined && first !== undefined && options.from > first) {
    problems.push({ row: 0, column: 'from', message: `is after the statement's first value date ${first}` });
  }
  if (options.to !== undefined && last !== undefined && options.to < last) {
    problems.push({ row: 0, column: 'to', message: `is before the statement's last value date ${last}` });
  }
  if (problems.length > 0 || first === undefined || last === undefined) throw new InvalidStatementError(problems);
  const from = options.from ?? first;
  const to = options.to ?? last;
  const importedBy = `${options.actor.type}:${options.actor.id}`;

  const id = await db.transaction().execute(async (trx) => {
    const statement = await trx
      .insertInto('bank_statements')
      .values({
        file_name: options.fileName ?? null,
        layout: options.layoutName,
        from_date: from,
        to_date: to,
        lines: parsed.lines.length,
        matched: 0,
        amount_mismatch: 0,
        in_bank_not_posted: 0,
        posted_not_in_bank: 0,
        bank_total_paise: parsed.lines.reduce((sum, line) => sum + line.amountPaise, 0),
        posted_total_paise: 0,
        imported_by: importedBy,
        request_id: options.requestId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const statementId = Number(statement.id);
    for (let start = 0; start < parsed.lines.length; start += 2_000) {
      await trx
        .insertInto('bank_statement_lines')
        .values(
          parsed.lines.slice(start, start + 2_000).map((line) => ({
            statement_id: statementId,
            row_no: line.row,
            value_date: line.valueDate,
            utr: line.utr,
            amount_paise: line.amountPaise,
            narration: line.narration,
          })),
        )
        .execute();
    }
    await sql`
      INSERT INTO reconciliation_items
        (statement_id, outcome, utr, line_id, row_no, payment_id, loan_id, bank_value_date, bank_amount_paise,
         posted_value_date, posted_amount_paise, note)
      SELECT ${statementId}::bigint, CASE
               WHEN p.id IS NULL OR p.status <> 'POSTED' THEN 'IN_BANK_NOT_POSTED'
               WHEN p.amount_paise = l.amount_paise THEN 'MATCHED'
               ELSE 'AMOUNT_MISMATCH' END,
             l.utr, l.id, l.row_no, p.id, p.loan_id, l.value_date, l.amount_paise, p.value_date, p.amount_paise,
             CASE
               WHEN p.status = 'REVERSED' THEN 'the payment with this UTR was reversed'
               WHEN p.id IS NULL AND EXISTS (SELECT 1 FROM payment_intake i WHERE i.utr = l.utr AND i.status = 'RECEIVED')
                 THEN 'received, waiting to be posted'
               WHEN p.id IS NULL AND EXISTS (SELECT 1 FROM payment_intake i WHERE i.utr = l.utr AND i.status = 'REJECTED')
                 THEN 'received and rejected'
               WHEN p.id IS NOT NULL AND p.amount_paise <> l.amount_paise
                 THEN format('bank %s paise, posted %s paise', l.amount_paise, p.amount_paise)
             END
      FROM bank_statement_lines l LEFT JOIN payments p ON p.utr = l.utr
      WHERE l.statement_id = ${statementId}
      UNION ALL
      SELECT ${statementId}::bigint, 'POSTED_NOT_IN_BANK', p.utr, NULL::bigint, NULL::integer, p.id, p.loan_id, NULL, NULL, p.value_date, p.amount_paise,
             format('%s payment', p.mode)
      FROM payments p
      WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${from}::date AND ${to}::date
        AND NOT EXISTS (SELECT 1 FROM bank_statement_lines l WHERE l.statement_id = ${statementId} AND l.utr = p.utr)`.execute(trx);
    const counts = await sql<{ outcome: string; n: number; posted: number }>`
      SELECT outcome, count(*)::int AS n, coalesce(sum(posted_amount_paise) FILTER (WHERE outcome <> 'IN_BANK_NOT_POSTED'), 0)::bigint AS posted
      FROM reconciliation_items WHERE statement_id = ${statementId} GROUP BY outcome`.execute(trx);
    const count = (outcome: string) => counts.rows.find((row) => row.outcome === outcome)?.n ?? 0;
    const summary = {
      matched: count('MATCHED'),
      amount_mismatch: count('AMOUNT_MISMATCH'),
      in_bank_not_posted: count('IN_BANK_NOT_POSTED'),
      posted_not_in_bank: count('POSTED_NOT_IN_BANK'),
      posted_total_paise: counts.rows.reduce((sum, row) => sum + Number(row.posted), 0),
    };
    await trx.updateTable('bank_statements').set(summary).where('id', '=', statementId).execute();
    await recordAudit(trx, {
      actor: options.actor,
      action: 'BANK_STATEMENT_RECONCILED',
      entityType: 'bank_statement',
      entityId: statementId,
      after: { fileName: options.fileName ?? null, layout: options.layoutName, from, to, lines: parsed.lines.length, ...summary },
      requestId: options.requestId ?? null,
    });
    return statementId;
  });
  return getStatement(db, id);
}

type StatementRow = {
  id: number;
  file_name: string | null;
  layout: string;
  from_date: string;
  to_date: string;
  lines: number;
  matched: number;
  amount_mismatch: number;
  in_bank_not_posted: number;
  posted_not_in_bank: number;
  bank_total_paise: number;
  posted_total_paise: number;
  imported_by: string;
  imported_at: Date;
};

function toSummary(row: StatementRow): StatementSummary {
  return {
    id: Number(row.id),
    fileName: row.file_name,
    layout: row.layout,
    from: row.from_date,
    to: row.to_date,
    lines: row.lines,
    counts: {
      MATCHED: row.matched,
      AMOUNT_MISMATCH: row.amount_mismatch,
      IN_BANK_NOT_POSTED: row.in_bank_not_posted,
      POSTED_NOT_IN_BANK: row.posted_not_in_bank,
    },
    bankTotalPaise: Number(row.bank_total_paise),
    postedTotalPaise: Number(row.posted_total_paise),
    importedBy: row.imported_by,
    importedAt: row.imported_at.toISOString(),
  };
}

export async function getStatement(db: Kysely<Database>, id: number): Promise<StatementSummary> {
  const row = await db.selectFrom('bank_statements').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new LoanOpsError('NOT_FOUND', `bank statement ${id} not found`, { status: 404 });
  return toSummary(row);
}

/** The latest statements first. */
export async function listStatements(db: Kysely<Database>, options: { limit: number; before?: number | undefined }): Promise<{ items: StatementSummary[] }> {
  let query = db.selectFrom('bank_statements').selectAll().orderBy('id', 'desc').limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return { items: (await query.execute()).map(toSummary) };
}
