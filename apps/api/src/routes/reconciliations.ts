import express, { type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ValidationError, isBusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  RECONCILIATION_COLUMNS,
  RECONCILIATION_OUTCOMES,
  getStatement,
  importStatement,
  layoutInputShape,
  listStatements,
  reconciliationItems,
  refineLayoutInput,
  resolveLayout,
} from '@loanops/reconciliation';
import { REPORT_FORMATS, type ReportColumn } from '@loanops/reports';
import { principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { sendReport } from './reports.js';
import { pageLimit } from '../http/query-params.js';

export interface ReconciliationRoutesDeps {
  db: Kysely<Database>;
  /** Largest statement accepted (express size, e.g. `20mb`). */
  statementLimit?: string;
}

const date = z.string().refine(isBusinessDate, 'must be a date written YYYY-MM-DD');
export const statementImportQuery = z
  .strictObject({
    ...layoutInputShape,
    fileName: z.string().trim().min(1).max(200).optional(),
    from: date.optional(),
    to: date.optional(),
  })
  .superRefine(refineLayoutInput);

export const statementParam = z.object({
  statementId: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a statement id').transform(Number),
});

export const statementListQuery = z.strictObject({
  before: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a statement id').transform(Number).optional(),
  limit: pageLimit(200),
});

export const statementItemsQuery = z.strictObject({
  format: z.enum(REPORT_FORMATS, { error: `must be one of ${REPORT_FORMATS.join(', ')}` }).default('json'),
  outcome: z.enum(RECONCILIATION_OUTCOMES as [string, ...string[]], { error: `must be one of ${RECONCILIATION_OUTCOMES.join(', ')}` }).optional(),
});

const CSV_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'];

function readText(parser: express.RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => parser(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
}

/**
 * Bank reconciliation (finance, admin): a statement posted as CSV is read with a column layout,
 * stored whole or not at all, and matched with the posted payments by UTR.
 */
export function reconciliationRoutes(route: RouteRegistrar, deps: ReconciliationRoutesDeps): void {
  const textParser = express.text({ type: CSV_TYPES, limit: deps.statementLimit ?? '20mb' });

  route('POST /v1/reconciliations', async (req, res) => {
    const query = parseInput(statementImportQuery, req.query);
    if (!req.is(CSV_TYPES)) {
      throw new ValidationError([{ path: 'body', message: 'send the statement as CSV (Content-Type: text/csv)' }]);
    }
    await readText(textParser, req, res);
    const text: unknown = req.body;
    if (typeof text !== 'string' || text.trim() === '') throw new ValidationError([{ path: 'body', message: 'the statement is empty' }]);
    const principal = principalOf(req);
    const statement = await importStatement(deps.db, text, {
      layoutName: query.layout,
      layout: resolveLayout(query),
      fileName: query.fileName ?? null,
      from: query.from,
      to: query.to,
      actor: { type: 'user', id: principal.sub, role: principal.role },
      requestId: req.requestId,
    });
    req.log.info({ statementId: statement.id, counts: statement.counts }, 'bank statement reconciled');
    res.status(201).location(`/v1/reconciliations/${statement.id}`).json(statement);
  });

  route('GET /v1/reconciliations', async (req, res) => {
    res.json(await listStatements(deps.db, parseInput(statementListQuery, req.query)));
  });

  route('GET /v1/reconciliations/:statementId', async (req, res) => {
    const { statementId } = parseInput(statementParam, req.params);
    res.json(await getStatement(deps.db, statementId));
  });

  route('GET /v1/reconciliations/:statementId/items', async (req, res) => {
    const { statementId } = parseInput(statementParam, req.params);
    const query = parseInput(statementItemsQuery, req.query);
    const statement = await getStatement(deps.db, statementId);
    const outcome = query.outcome as (typeof RECONCILIATION_OUTCOMES)[number] | undefined;
    await sendReport(
      res,
      {
        fileName: `reconciliation-${statement.id}${outcome ? `-${outcome.toLowerCase()}` : ''}`,
        columns: RECONCILIATION_COLUMNS as unknown as readonly ReportColumn[],
        rows: reconciliationItems(deps.db, statement.id, outcome),
      },
      query.format,
    );
  });
}
