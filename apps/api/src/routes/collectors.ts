import type { Kysely } from 'kysely';
import { z } from 'zod';
import { allocateLoans, collectorExists, collectorScoreHistory, listCollectors, scoreLeaderboard } from '@loanops/collections';
import { NotFoundError, ValidationError, addDays, businessToday, isBusinessDate, type BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { LOAN_STATUSES } from '@loanops/loan-book';
import { collectorScope, principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { pageLimit } from '../http/query-params.js';

export const collectorParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a collector id (a positive whole number)')
    .transform(Number),
});
const date = z.string().refine(isBusinessDate, 'must be a date written YYYY-MM-DD');
export const leaderboardQuery = z.strictObject({ date: date.optional(), limit: pageLimit(1_000, 100) });
export const scoreHistoryQuery = z.strictObject({ from: date.optional(), to: date.optional(), limit: pageLimit(366, 30) });

/** A bulk allocation names its loans, or a filter (at least one criterion, so nothing is allocated by accident). */
export function allocationBody(bucketTable: BucketTable) {
  const buckets = bucketTable.map((bucket) => bucket.name) as [string, ...string[]];
  const byList = z.strictObject({
    loanIds: z
      .array(z.number().int('must be whole numbers').positive('must be loan ids'), { error: 'must be a list of loan ids' })
      .min(1, 'must name at least one loan')
      .max(10_000, 'at most 10000 loans at once (or use a filter)'),
  });
  const byFilter = z.strictObject({
    filter: z
      .strictObject({
        bucket: z.enum(buckets, { error: `must be one of ${buckets.join(', ')}` }).optional(),
        pinCodePrefix: z.string().regex(/^[1-9]\d{0,5}$/, 'must be the first 1–6 digits of a PIN code').optional(),
        status: z.enum(LOAN_STATUSES, { error: `must be one of ${LOAN_STATUSES.join(', ')}` }).optional(),
        currentCollectorId: z.number().int().positive().nullable().optional(),
      })
      .refine((filter) => Object.keys(filter).length > 0, 'must have at least one of bucket, pinCodePrefix, status, currentCollectorId'),
  });
  return { byList, byFilter };
}

/** Collectors: the list, bulk allocation of loans (ops, admin), the daily leaderboard and each one's history. */
export function collectorRoutes(
  route: RouteRegistrar,
  deps: { db: Kysely<Database>; bucketTable: BucketTable; now: () => Date },
): void {
  const allocation = allocationBody(deps.bucketTable);

  route('GET /v1/collectors', async (_req, res) => {
    res.json({ items: await listCollectors(deps.db) });
  });

  route('POST /v1/collectors/:id/allocations', async (req, res) => {
    const { id } = parseInput(collectorParam, req.params);
    const raw: unknown = req.body;
    const byList = typeof raw === 'object' && raw !== null && 'loanIds' in raw;
    const byFilter = typeof raw === 'object' && raw !== null && 'filter' in raw;
    if (byList === byFilter) {
      throw new ValidationError([{ path: '', message: 'must have either loanIds (a list of loan ids) or filter (bucket, pinCodePrefix, …)' }]);
    }
    const body = byList ? parseInput(allocation.byList, raw) : parseInput(allocation.byFilter, raw);
    const principal = principalOf(req);
    const result = await allocateLoans(deps.db, id, body, {
      actor: { type: 'user', id: principal.sub, role: principal.role },
      requestId: req.requestId,
      today: businessToday(deps.now()),
    });
    req.log.info({ collectorId: id, allocated: result.allocated, byFilter: 'filter' in body }, 'loans allocated');
    res.json(result);
  });

  route('GET /v1/collectors/scores', async (req, res) => {
    const query = parseInput(leaderboardQuery, req.query);
    // Scores are computed for a day once it has ended: yesterday (IST) by default.
    const businessDate = query.date ?? addDays(businessToday(deps.now()), -1);
    res.json({ businessDate, items: await scoreLeaderboard(deps.db, businessDate, query.limit) });
  });

  route('GET /v1/collectors/:id/scores', async (req, res) => {
    const { id } = parseInput(collectorParam, req.params);
    const query = parseInput(scoreHistoryQuery, req.query);
    const scope = collectorScope(principalOf(req));
    if ((scope !== undefined && scope !== id) || !(await collectorExists(deps.db, id))) throw new NotFoundError('collector', id);
    res.json({ collectorId: id, items: await collectorScoreHistory(deps.db, id, query) });
  });
}
