import type { Kysely } from 'kysely';
import { z } from 'zod';
import { businessToday, isBusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  DpdRunExistsError,
  DpdRunSupersededError,
  FutureBusinessDateError,
  getDpdRun,
  listDpdRuns,
  startDpdRun,
} from '@loanops/dpd';
import type { Queues } from '@loanops/queues';
import { principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { pageLimit } from '../http/query-params.js';

export interface DpdRunRoutesDeps {
  db: Kysely<Database>;
  queues: Queues;
  /** Borrowers per chunk (DPD_CHUNK_BORROWERS). */
  chunkBorrowers: number;
  now: () => Date;
}

export const startBody = z.strictObject({
  businessDate: z.string().refine(isBusinessDate, 'must be a date written YYYY-MM-DD').optional(),
});

export const runParam = z.object({
  runId: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a run id').transform(Number),
});

export const dpdRunListQuery = z.strictObject({
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED'], { error: 'must be RUNNING, SUCCEEDED or FAILED' }).optional(),
  cursor: z.string().max(200).optional(),
  limit: pageLimit(200),
});

/**
 * DPD runs by hand and their history (admin). A date runs once: starting one that already has a
 * RUNNING or SUCCEEDED run answers 409 DPD_RUN_EXISTS with that run, and nothing is done; a date
 * before one that already ran answers 409 DPD_RUN_SUPERSEDED. A FAILED date can be started again.
 */
export function dpdRunRoutes(route: RouteRegistrar, deps: DpdRunRoutesDeps): void {
  route('POST /v1/admin/dpd-runs', async (req, res) => {
    const body = parseInput(startBody, req.body ?? {});
    const today = businessToday(deps.now());
    const businessDate = body.businessDate ?? today;
    if (businessDate > today) throw new FutureBusinessDateError(businessDate, today);
    const principal = principalOf(req);
    const outcome = await startDpdRun(
      deps.db,
      deps.queues,
      { businessDate, trigger: 'MANUAL', actor: { type: 'user', id: principal.sub, role: principal.role }, requestId: req.requestId },
      { chunkBorrowers: deps.chunkBorrowers, now: deps.now() },
    );
    switch (outcome.status) {
      case 'EXISTS':
        throw new DpdRunExistsError(outcome.run);
      case 'SUPERSEDED':
        throw new DpdRunSupersededError(businessDate, outcome.run);
      case 'STARTED':
        req.log.info({ runId: outcome.run.id, businessDate, chunks: outcome.run.chunksTotal }, 'DPD run started');
        res.status(202).location(`/v1/admin/dpd-runs/${outcome.run.id}`).json(outcome.run);
    }
  });

  route('GET /v1/admin/dpd-runs', async (req, res) => {
    const query = parseInput(dpdRunListQuery, req.query);
    res.json(await listDpdRuns(deps.db, query));
  });

  route('GET /v1/admin/dpd-runs/:runId', async (req, res) => {
    const { runId } = parseInput(runParam, req.params);
    res.json(await getDpdRun(deps.db, runId));
  });
}
