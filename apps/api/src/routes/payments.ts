import type { Kysely } from 'kysely';
import { z } from 'zod';
import { LoanOpsError, isUtr, utrMatchKey, type BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { Metrics } from '@loanops/observability';
import {
  acceptPayments,
  findPayments,
  getIntake,
  getPayment,
  paymentRequestSchema,
  type IntakeRequest,
  type IntakeResult,
  reversalRequestSchema,
  reversePayment,
} from '@loanops/payments';
import { paymentJobId, type Queues } from '@loanops/queues';
import { MicroBatcher, coerceError, type Logger } from '@loanops/runtime';
import { principalOf } from '../http/auth.js';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';
import { withTimeout } from '../http/with-timeout.js';

export interface PaymentRoutesDeps {
  db: Kysely<Database>;
  queues: Queues;
  bucketTable: BucketTable;
  now: () => Date;
  /** How long the intake waits for Redis before answering anyway (the sweeper enqueues later). */
  enqueueTimeoutMs: number;
  /** Requests arriving together are stored in one statement: at most this many… */
  intakeBatchMax: number;
  /** …gathered for at most this long (ms). */
  intakeBatchWaitMs: number;
  logger: Logger;
  /** Counts intake outcomes (loanops_payment_intake_total). */
  metrics?: Metrics;
}

export const intakeParam = z.object({ intakeId: z.uuid('must be an intake id') });
export const paymentParam = z.object({
  paymentId: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a payment id').transform(Number),
});
export const searchQuery = z
  .strictObject({
    utr: z.string().transform(utrMatchKey).refine(isUtr, 'must be 12-22 letters and digits').optional(),
    loanId: z.string().regex(/^[1-9]\d{0,15}$/, 'must be a loan id').transform(Number).optional(),
    limit: z.string().regex(/^\d+$/).transform(Number).refine((n) => n >= 1 && n <= 200, 'must be 1-200').default(50),
  })
  .refine((query) => query.utr !== undefined || query.loanId !== undefined, {
    message: 'give utr or loanId',
    path: ['utr'],
  });

/** Returns `drain`: stores what the intake batcher holds and waits for it (graceful shutdown). */
export function paymentRoutes(route: RouteRegistrar, deps: PaymentRoutesDeps): { drain(): Promise<void> } {
  // The jobs are the fast path to posting, sent once the batch is stored and its 202s are on their
  // way; if Redis is slow or down the sweeper enqueues the same intakes later under the same job ids.
  const enqueuing = new Set<Promise<void>>();
  const enqueue = (intakeIds: string[]) => {
    if (intakeIds.length === 0) return;
    const jobs = intakeIds.map((intakeId) => ({ data: { intakeId }, jobId: paymentJobId(intakeId) }));
    const sent: Promise<void> = withTimeout(deps.queues.addBulk('payments', 'post-payment', jobs), deps.enqueueTimeoutMs)
      .catch((error: unknown) => {
        deps.logger.warn({ intakes: jobs.length, err: coerceError(error) }, 'enqueue failed; the sweeper will enqueue them');
      })
      .finally(() => enqueuing.delete(sent));
    enqueuing.add(sent);
  };
  // Requests that arrive together are checked with one read and stored with one insert and one
  // commit, then enqueued in one Redis round trip; each still gets its own answer. A 202 means the
  // request is committed in Postgres: from there on it cannot be lost.
  const intake = new MicroBatcher<IntakeRequest, IntakeResult>(
    async (requests) => {
      const results = await acceptPayments(deps.db, requests, deps.now());
      enqueue(results.flatMap((result) => (result.ok ? [result.accepted.intakeId] : [])));
      return results;
    },
    { maxBatch: deps.intakeBatchMax, maxWaitMs: deps.intakeBatchWaitMs },
  );

  const countRefused = (error: unknown) => {
    deps.metrics?.paymentIntake.inc({ outcome: 'refused', code: error instanceof LoanOpsError ? error.code : 'ERROR' });
  };
  route('POST /v1/payments', async (req, res) => {
    let result: IntakeResult;
    let request: IntakeRequest['request'];
    try {
      request = parseInput(paymentRequestSchema, req.body);
      const principal = principalOf(req);
      result = await intake.submit({ request, receivedBy: `${principal.role}:${principal.sub}`, requestId: req.requestId });
    } catch (error) {
      countRefused(error);
      throw error;
    }
    if (!result.ok) {
      countRefused(result.error);
      throw result.error;
    }
    deps.metrics?.paymentIntake.inc({ outcome: 'accepted', code: '' });
    const { intakeId } = result.accepted;
    // Checked first: binding the request's logger costs more than the intake's own work.
    if (deps.logger.isLevelEnabled('info')) req.log.info({ intakeId, utr: request.utr, amountPaise: request.amountPaise }, 'payment received');
    res.status(202).location(`/v1/payments/intake/${intakeId}`).json(result.accepted);
  });

  route('GET /v1/payments/intake/:intakeId', async (req, res) => {
    const { intakeId } = parseInput(intakeParam, req.params);
    res.json(await getIntake(deps.db, intakeId));
  });

  route('GET /v1/payments', async (req, res) => {
    const query = parseInput(searchQuery, req.query);
    res.json({ items: await findPayments(deps.db, query) });
  });

  route('GET /v1/payments/:paymentId', async (req, res) => {
    const { paymentId } = parseInput(paymentParam, req.params);
    res.json(await getPayment(deps.db, paymentId));
  });

  route('POST /v1/payments/:paymentId/reversal', async (req, res) => {
    const { paymentId } = parseInput(paymentParam, req.params);
    const { reason } = parseInput(reversalRequestSchema, req.body);
    const principal = principalOf(req);
    await reversePayment(deps.db, paymentId, {
      actor: { type: 'user', id: principal.sub, role: principal.role },
      requestId: req.requestId,
      reason,
      bucketTable: deps.bucketTable,
      now: deps.now(),
    });
    req.log.info({ paymentId }, 'payment reversed');
    res.json(await getPayment(deps.db, paymentId));
  });

  return {
    drain: async () => {
      await intake.drain();
      await Promise.all(enqueuing);
    },
  };
}
