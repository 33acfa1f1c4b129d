import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { NotFoundError } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import { emailField, languageField, notesField, phoneField, tagsField } from './loan-input.js';

/**
 * PATCH /v1/loans/:id: contact data, collector assignment, tags and notes, nothing else (the
 * financial guard has already refused any protected field; anything else unknown is a 400).
 */
export const loanEditSchema = z
  .strictObject({
    borrower: z
      .strictObject({
        phone: phoneField.optional(),
        email: emailField.nullable().optional(),
        address: z.string().trim().max(500, 'at most 500 characters').nullable().optional(),
        language: languageField.optional(),
      })
      .refine((borrower) => Object.keys(borrower).length > 0, 'must change at least one field')
      .optional(),
    collectorId: z.number().int().positive().nullable().optional(),
    tags: tagsField.optional(),
    notes: notesField.nullable().optional(),
  })
  .refine((edit) => Object.keys(edit).length > 0, 'must change at least one field');

export type LoanEdit = z.output<typeof loanEditSchema>;

export interface LoanEditView {
  editId: string;
  loanId: number;
  status: 'RECEIVED' | 'APPLIED' | 'REJECTED';
  code?: string;
  message?: string;
  changes: unknown;
  receivedAt: string;
  processedAt: string | null;
}

/**
 * Stores an accepted edit for the edits worker (the caller enqueues it). The loan must exist and,
 * for a collector, be theirs.
 */
export async function submitLoanEdit(
  db: Kysely<Database>,
  loanId: number,
  edit: LoanEdit,
  context: { requestedBy: string; requestId: string | null; collectorScope?: number | undefined },
): Promise<{ editId: string }> {
  let loan = db.selectFrom('loans').select('id').where('id', '=', loanId);
  if (context.collectorScope !== undefined) loan = loan.where('collector_id', '=', context.collectorScope);
  if (!(await loan.executeTakeFirst())) throw new NotFoundError('loan', loanId);
  const row = await db
    .insertInto('loan_edits')
    .values({
      loan_id: loanId,
      changes: JSON.stringify(edit),
      requested_by: context.requestedBy,
      request_id: context.requestId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { editId: row.id };
}

export async function getLoanEdit(db: Kysely<Database>, loanId: number, editId: string): Promise<LoanEditView> {
  const row = await db
    .selectFrom('loan_edits')
    .selectAll()
    .where('id', '=', editId)
    .where('loan_id', '=', loanId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('edit', editId);
  return {
    editId: row.id,
    loanId: row.loan_id,
    status: row.status,
    ...(row.reject_code ? { code: row.reject_code, message: row.reject_message ?? '' } : {}),
    changes: row.changes,
    receivedAt: row.received_at.toISOString(),
    processedAt: row.processed_at?.toISOString() ?? null,
  };
}

export type EditOutcome = { status: 'APPLIED' | 'REJECTED'; code?: string; alreadyDone: boolean } | { status: 'MISSING' };

/**
 * Applies a stored edit in one transaction: locks the edit and the loan, checks the collector,
 * changes the borrower's contact data and the loan's assignment, tags and notes, and writes one
 * audit entry with the fields before and after. An edit already processed is left as it is.
 */
export async function applyLoanEdit(db: Kysely<Database>, editId: string, actor: Actor): Promise<EditOutcome> {
  return db.transaction().execute(async (trx) => {
    const edit = await trx.selectFrom('loan_edits').selectAll().where('id', '=', editId).forUpdate().executeTakeFirst();
    if (!edit) return { status: 'MISSING' };
    if (edit.status !== 'RECEIVED') {
      return { status: edit.status, ...(edit.reject_code ? { code: edit.reject_code } : {}), alreadyDone: true };
    }
    const changes = loanEditSchema.parse(edit.changes);
    const loan = await trx
      .selectFrom('loans')
      .innerJoin('borrowers', 'borrowers.id', 'loans.borrower_id')
      .select([
        'loans.id',
        'loans.borrower_id',
        'loans.collector_id',
        'loans.tags',
        'loans.notes',
        'borrowers.phone',
        'borrowers.email',
        'borrowers.address',
        'borrowers.language',
      ])
      .where('loans.id', '=', edit.loan_id)
      .forUpdate()
      .executeTakeFirstOrThrow();

    const reject = async (code: string, message: string): Promise<EditOutcome> => {
      await trx
        .updateTable('loan_edits')
        .set({ status: 'REJECTED', reject_code: code, reject_message: message, processed_at: new Date() })
        .where('id', '=', editId)
        .execute();
      await recordAudit(trx, {
        actor,
        action: 'LOAN_EDIT_REJECTED',
        entityType: 'loan',
        entityId: loan.id,
        requestId: edit.request_id,
        metadata: { editId, code, message, requestedBy: edit.requested_by },
      });
      return { status: 'REJECTED', code, alreadyDone: false };
    };

    if (changes.collectorId !== undefined && changes.collectorId !== null) {
      const collector = await trx
        .selectFrom('collectors')
        .select('id')
        .where('id', '=', changes.collectorId)
        .where('active', '=', true)
        .executeTakeFirst();
      if (!collector) return reject('COLLECTOR_NOT_FOUND', `no active collector with id ${changes.collectorId}`);
    }

    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const borrowerSet: Record<string, unknown> = {};
    const loanSet: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(changes.borrower ?? {})) {
      if (value === undefined) continue;
      before[`borrower.${field}`] = loan[field as 'phone' | 'email' | 'address' | 'language'];
      after[`borrower.${field}`] = value;
      borrowerSet[field] = value;
    }
    if (changes.collectorId !== undefined) {
      before.collectorId = loan.collector_id;
      after.collectorId = changes.collectorId;
      loanSet.collector_id = changes.collectorId;
    }
    if (changes.tags !== undefined) {
      before.tags = loan.tags;
      after.tags = changes.tags;
      loanSet.tags = changes.tags;
    }
    if (changes.notes !== undefined) {
      before.notes = loan.notes;
      after.notes = changes.notes;
      loanSet.notes = changes.notes;
    }
    if (Object.keys(borrowerSet).length > 0) {
      await trx.updateTable('borrowers').set(borrowerSet).where('id', '=', loan.borrower_id).execute();
    }
    if (Object.keys(loanSet).length > 0) {
      await trx
        .updateTable('loans')
        .set({ ...loanSet, version: sql`version + 1` })
        .where('id', '=', loan.id)
        .execute();
    }
    await recordAudit(trx, {
      actor,
      action: 'LOAN_EDITED',
      entityType: 'loan',
      entityId: loan.id,
      requestId: edit.request_id,
      before,
      after,
      metadata: { editId, requestedBy: edit.requested_by, borrowerId: loan.borrower_id },
    });
    await trx.updateTable('loan_edits').set({ status: 'APPLIED', processed_at: new Date() }).where('id', '=', editId).execute();
    return { status: 'APPLIED', alreadyDone: false };
  });
}

/** Edits accepted but still waiting after `olderThanMs` (for the sweeper). */
export async function findWaitingEdits(
  db: Kysely<Database>,
  options: { now: Date; olderThanMs: number; limit: number },
): Promise<string[]> {
  const rows = await db
    .selectFrom('loan_edits')
    .select('id')
    .where('status', '=', 'RECEIVED')
    .where('received_at', '<', new Date(options.now.getTime() - options.olderThanMs))
    .orderBy('received_at')
    .limit(options.limit)
    .execute();
  return rows.map((row) => row.id);
}
