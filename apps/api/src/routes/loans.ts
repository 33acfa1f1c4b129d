import type { Kysely } from 'kysely';
import { z } from 'zod';
import { businessToday, type BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  LOAN_STATUSES,
  createLoan,
  getLoan,
  getLoanEdit,
  listLoans,
  loanEditSchema,
  newLoanSchema,
  referenceField,
  submitLoanEdit,
} from '@loanops/loan-book';
import { editJobId, type Queues } from '@loanops/queues';
import { coerceError } from '@loanops/runtime';
import { collectorScope, principalOf } from '../http/auth.js';
import { parseInput } from '../http/validate.js';
import { withTimeout } from '../http/with-timeout.js';
import type { RouteRegistrar } from '../http/route.js';
import { pageLimit } from '../http/query-params.js';

export interface LoanRoutesDeps {
  db: Kysely<Database>;
  queues: Queues;
  enqueueTimeoutMs: number;
  bucketTable: BucketTable;
  now: () => Date;
  pageMax: number;
}

export const idParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a loan id (a positive whole number)')
    .transform(Number),
});

export const editParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a loan id (a positive whole number)')
    .transform(Number),
  editId: z.uuid('must be an edit id'),
});

const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
  .transform(Number);

export function listQuerySchema(bucketTable: BucketTable, pageMax: number) {
  const buckets = bucketTable.map((bucket) => bucket.name) as [string, ...string[]];
  return z.strictObject({
    bucket: z.enum(buckets, { error: `must be one of ${buckets.join(', ')}` }).optional(),
    status: z.enum(LOAN_STATUSES, { error: `must be one of ${LOAN_STATUSES.join(', ')}` }).optional(),
    collectorId: positiveId.optional(),
    borrowerId: positiveId.optional(),
    loanNumber: referenceField.optional(),
    cursor: z.string().max(200).optional(),
    limit: pageLimit(pageMax),
  });
}

export function loanRoutes(route: RouteRegistrar, deps: LoanRoutesDeps): void {
  const listQuery = listQuerySchema(deps.bucketTable, deps.pageMax);

  route('POST /v1/loans', async (req, res) => {
    const input = parseInput(newLoanSchema, req.body);
    const principal = principalOf(req);
    const today = businessToday(deps.now());
    const created = await createLoan(deps.db, input, {
      actor: { type: 'user', id: principal.sub, role: principal.role },
      requestId: req.requestId,
      today,
      bucketTable: deps.bucketTable,
      source: 'API',
    });
    req.log.info({ loanId: created.id, loanNumber: created.loanNumber, bucket: created.bucket }, 'loan created');
    const loan = await getLoan(deps.db, created.id, today);
    res.status(201).location(`/v1/loans/${created.id}`).json(loan);
  });

  route('GET /v1/loans', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const scope = { collectorId: collectorScope(principalOf(req)) };
    res.json(await listLoans(deps.db, query, scope));
  });

  route('PATCH /v1/loans/:id', async (req, res) => {
    // The financial guard (GUARDED_ROUTES) has already refused any protected field.
    const { id } = parseInput(idParam, req.params);
    const edit = parseInput(loanEditSchema, req.body);
    const principal = principalOf(req);
    const { editId } = await submitLoanEdit(deps.db, id, edit, {
      requestedBy: `${principal.role}:${principal.sub}`,
      requestId: req.requestId,
      collectorScope: collectorScope(principal),
    });
    // Stored first, so the sweeper finishes the work if Redis loses it or is away now.
    try {
      await withTimeout(deps.queues.add('edits', 'apply-edit', { editId }, { jobId: editJobId(editId) }), deps.enqueueTimeoutMs);
    } catch (error) {
      req.log.warn({ editId, err: coerceError(error) }, 'enqueue failed; the sweeper will enqueue it');
    }
    req.log.info({ loanId: id, editId, fields: Object.keys(edit) }, 'loan edit received');
    res.status(202).location(`/v1/loans/${id}/edits/${editId}`).json({ editId, status: 'RECEIVED' });
  });

  route('GET /v1/loans/:id/edits/:editId', async (req, res) => {
    const { id, editId } = parseInput(editParams, req.params);
    res.json(await getLoanEdit(deps.db, id, editId));
  });

  route('GET /v1/loans/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const scope = { collectorId: collectorScope(principalOf(req)) };
    res.json(await getLoan(deps.db, id, businessToday(deps.now()), scope));
  });
}
