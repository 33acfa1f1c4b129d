import type { Kysely } from 'kysely';
import { z } from 'zod';
import { PROMISE_STATUSES, createPromise, listPromises } from '@loanops/collections';
import { businessToday, isBusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { decodeCursor, encodeCursor } from '@loanops/loan-book';
import { collectorScope, principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { pageLimit } from '../http/query-params.js';

const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
  .transform(Number);
const date = z.string().refine(isBusinessDate, 'must be a date written YYYY-MM-DD');

export const newPromise = z.strictObject({
  loanId: z.number({ error: 'must be a loan id' }).int('must be a whole number').positive('must be a loan id'),
  amountPaise: z.number({ error: 'must be a whole number of paise' }).int('must be a whole number of paise').max(Number.MAX_SAFE_INTEGER),
  promisedOn: date,
});

export function promiseListQuery(pageMax: number) {
  return z.strictObject({
    loanId: positiveId.optional(),
    collectorId: positiveId.optional(),
    status: z.enum(PROMISE_STATUSES, { error: `must be one of ${PROMISE_STATUSES.join(', ')}` }).optional(),
    promisedFrom: date.optional(),
    promisedTo: date.optional(),
    cursor: z.string().max(200).optional(),
    limit: pageLimit(pageMax),
  });
}

/**
 * Promises to pay: a collector records them on loans allocated to them (another's loan is a 404,
 * as in GET /v1/loans/:id), ops and admins on any loan. A new promise supersedes the open one.
 */
export function promiseRoutes(route: RouteRegistrar, deps: { db: Kysely<Database>; now: () => Date; pageMax: number }): void {
  const query = promiseListQuery(deps.pageMax);

  route('POST /v1/promises', async (req, res) => {
    const input = parseInput(newPromise, req.body);
    const principal = principalOf(req);
    const now = deps.now();
    const promise = await createPromise(deps.db, input, {
      actor: { type: 'user', id: principal.sub, role: principal.role },
      requestId: req.requestId,
      today: businessToday(now),
      now,
      collectorScope: collectorScope(principal),
    });
    req.log.info({ promiseId: promise.id, loanId: promise.loanId, promisedOn: promise.promisedOn }, 'promise recorded');
    res.status(201).location(`/v1/promises?loanId=${promise.loanId}`).json(promise);
  });

  route('GET /v1/promises', async (req, res) => {
    const { cursor, ...filters } = parseInput(query, req.query);
    const page = await listPromises(
      deps.db,
      { ...filters, ...(cursor === undefined ? {} : { cursor: decodeCursor(cursor) }) },
      { collectorId: collectorScope(principalOf(req)) },
    );
    res.json({ items: page.items, nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) });
  });
}
