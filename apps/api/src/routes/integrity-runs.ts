import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '@loanops/db';
import { getIntegrityRun, listIntegrityRuns } from '@loanops/integrity';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { pageLimit } from '../http/query-params.js';

export const integrityRunParam = z.object({
  runId: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a run id').transform(Number),
});

export const integrityRunListQuery = z.strictObject({
  before: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a run id').transform(Number).optional(),
  limit: pageLimit(200),
});

/** The data-integrity check's runs (admin): latest first, and one run with the rows it found wrong. */
export function integrityRunRoutes(route: RouteRegistrar, deps: { db: Kysely<Database> }): void {
  route('GET /v1/admin/integrity-runs', async (req, res) => {
    const query = parseInput(integrityRunListQuery, req.query);
    res.json(await listIntegrityRuns(deps.db, query));
  });

  route('GET /v1/admin/integrity-runs/:runId', async (req, res) => {
    const { runId } = parseInput(integrityRunParam, req.params);
    res.json(await getIntegrityRun(deps.db, runId));
  });
}
