import { sql, type Kysely } from 'kysely';
import { LoanOpsError, utrMatchKey, utrSpellings, type BusinessDate } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import type { StatementLayout } from './layouts.js';
import { matchLine, type CandidatePayment, type IntakeSeen } from './match-line.js';
import { parseStatement, type StatementLine, type StatementProblem } from './parse-statement.js';

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
  counts: { MATCHED: number; AMOUNT_MISMATCH: number; IN_BANK_NOT_POSTED: number; POSTED_NOT_IN_BANK: number; NO_UTR: number };
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

const CHUNK = 2_000;

/**
 * Imports a bank statement and reconciles it with the posted payments, in one transaction: the
 * statement, its credits, and one item per credit (MATCHED, AMOUNT_MISMATCH, IN_BANK_NOT_POSTED
 * — no payment with that UTR, or it was reversed — or NO_UTR, a credit whose reference is no UTR)
 * plus one per payment posted (not reversed) with a value date in the statement's period that no
 * credit matched (POSTED_NOT_IN_BANK). Payments are matched by UTR, the one reference both sides
 * carry, compared as utrMatchKey writes it on both sides.
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
    for (let start = 0; start < parsed.lines.length; start += CHUNK) {
      await reconcileLines(trx, statementId, parsed.lines.slice(start, start + CHUNK));
    }
    await sql`
      INSERT INTO reconciliation_items (statement_id, outcome, utr, payment_id, loan_id, posted_value_date, posted_amount_paise, note)
      SELECT ${statementId}::bigint, 'POSTED_NOT_IN_BANK', p.utr, p.id, p.loan_id, p.value_date, p.amount_paise, format('%s payment', p.mode)
      FROM payments p
      WHERE p.status = 'POSTED' AND p.value_date BETWEEN ${from}::date AND ${to}::date
        AND NOT EXISTS (SELECT 1 FROM reconciliation_items r WHERE r.statement_id = ${statementId} AND r.payment_id = p.id)`.execute(trx);
    const counts = await sql<{ outcome: string; n: number; posted: number }>`
      SELECT outcome, count(*)::int AS n, coalesce(sum(posted_amount_paise) FILTER (WHERE outcome <> 'IN_BANK_NOT_POSTED'), 0)::bigint AS posted
      FROM reconciliation_items WHERE statement_id = ${statementId} GROUP BY outcome`.execute(trx);
    const count = (outcome: string) => counts.rows.find((row) => row.outcome === outcome)?.n ?? 0;
    const summary = {
      matched: count('MATCHED'),
      amount_mismatch: count('AMOUNT_MISMATCH'),
      in_bank_not_posted: count('IN_BANK_NOT_POSTED'),
      posted_not_in_bank: count('POSTED_NOT_IN_BANK'),
      no_utr: count('NO_UTR'),
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

/** Stores a run of credits and one reconciliation item each. */
async function reconcileLines(trx: Kysely<Database>, statementId: number, lines: readonly StatementLine[]): Promise<void> {
  const stored = await trx
    .insertInto('bank_statement_lines')
    .values(
      lines.map((line) => ({
        statement_id: statementId,
        row_no: line.row,
        value_date: line.valueDate,
        reference: line.reference,
        utr: line.utr,
        amount_paise: line.amountPaise,
        narration: line.narration,
      })),
    )
    .returning(['id', 'row_no'])
    .execute();
  const lineIds = new Map(stored.map((row) => [row.row_no, Number(row.id)]));

  const keys = [...new Set(lines.flatMap((line) => (line.utr === null ? [] : [line.utr])))];
  const payments = new Map<string, CandidatePayment[]>();
  const found = await trx
    .selectFrom('payments')
    .select(['id', 'utr', 'status', 'amount_paise', 'value_date', 'loan_id'])
    .where(sql<boolean>`utr = ANY(${keys.flatMap(utrSpellings)}::text[])`)
    .orderBy('id')
    .execute();
  for (const row of found) {
    const key = utrMatchKey(row.utr);
    const payment = { id: Number(row.id), utr: row.utr, status: row.status, amountPaise: Number(row.amount_paise), valueDate: row.value_date, loanId: Number(row.loan_id) };
    payments.set(key, [...(payments.get(key) ?? []), payment]);
  }
  const unpaid = keys.filter((key) => !payments.has(key));
  const intake = new Map<string, IntakeSeen>();
  const requests = await trx
    .selectFrom('payment_intake')
    .select(['utr', 'status'])
    .where(sql<boolean>`utr = ANY(${unpaid.flatMap(utrSpellings)}::text[])`)
    .where('status', 'in', ['RECEIVED', 'REJECTED'])
    .execute();
  for (const request of requests) {
    const key = utrMatchKey(request.utr);
    const seen = intake.get(key) ?? { received: false, rejected: false };
    intake.set(key, { received: seen.received || request.status === 'RECEIVED', rejected: seen.rejected || request.status === 'REJECTED' });
  }

  const items = lines.map((line) => {
    const key = line.utr ?? '';
    const match = matchLine(line, payments.get(key) ?? [], intake.get(key) ?? { received: false, rejected: false });
    return {
      statement_id: statementId,
      outcome: match.outcome,
      utr: match.utr,
      reference: line.reference,
      line_id: lineIds.get(line.row) ?? null,
      row_no: line.row,
      payment_id: match.payment?.id ?? null,
      loan_id: match.payment?.loanId ?? null,
      bank_value_date: line.valueDate,
      bank_amount_paise: line.amountPaise,
      posted_value_date: match.payment?.valueDate ?? null,
      posted_amount_paise: match.payment?.amountPaise ?? null,
      note: match.note,
    };
  });
  await trx.insertInto('reconciliation_items').values(items).execute();
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
  no_utr: number;
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
      NO_UTR: row.no_utr,
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
