import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isBusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { LEGAL_CASE_STATUSES, listLegalCases } from '@loanops/dpd';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { pageLimit } from '../http/query-params.js';

const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
  .transform(Number);
const date = z.string().refine(isBusinessDate, 'must be a date written YYYY-MM-DD');

export function legalCaseListQuery(pageMax: number) {
  return z.strictObject({
    status: z.enum(LEGAL_CASE_STATUSES, { error: `must be one of ${LEGAL_CASE_STATUSES.join(', ')}` }).optional(),
    loanId: positiveId.optional(),
    borrowerId: positiveId.optional(),
    openedFrom: date.optional(),
    openedTo: date.optional(),
    cursor: z.string().max(200).optional(),
    limit: pageLimit(pageMax),
  });
}

/** The cases escalated to the legal team (legal, admin), filtered and keyset-paginated like the loans. */
export function legalCaseRoutes(route: RouteRegistrar, deps: { db: Kysely<Database>; pageMax: number }): void {
  const query = legalCaseListQuery(deps.pageMax);
  route('GET /v1/legal-cases', async (req, res) => {
    res.json(await listLegalCases(deps.db, parseInput(query, req.query)));
  });
}
