import express, { type Express } from 'express';
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import { FailureCounts, type SignInPolicy } from '@loanops/auth';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { Alerter, Metrics } from '@loanops/observability';
import type { Queues } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';
import { authenticate } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import './http/express-types.js';
import { financialGuard } from './http/financial-guard.js';
import { httpMetrics, operationsRoutes } from './http/operations.js';
import { rateLimits } from './http/rate-limit.js';
import { requestLog } from './http/request-log.js';
import { routeRegistrar } from './http/route.js';
import { securityHeaders } from './http/security-headers.js';
import { securityMonitor } from './http/security-monitor.js';
import type { FeatureFlags } from '@loanops/operations';
import { mountQueueConsole } from './console/queue-console.js';
import { adminQueueRoutes } from './routes/admin-queues.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { collectorRoutes } from './routes/collectors.js';
import { dpdRunRoutes } from './routes/dpd-runs.js';
import { legalCaseRoutes } from './routes/legal-cases.js';
import { loanRoutes } from './routes/loans.js';
import { paymentRoutes } from './routes/payments.js';
import { promiseRoutes } from './routes/promises.js';
import { integrityRunRoutes } from './routes/integrity-runs.js';
import { reconciliationRoutes } from './routes/reconciliations.js';
import { reportRoutes } from './routes/reports.js';
import { apiDocsRoutes } from './openapi/docs-routes.js';

export interface AppDeps {
  db: Kysely<Database>;
  queues: Queues;
  /** For rate limits, sign-in counters, console sessions and /readyz (the API process gives them a connection apart from the queues'). */
  redis: Redis;
  metrics: Metrics;
  alerter: Alerter;
  logger: Logger;
  signIn: Omit<SignInPolicy, 'secret' | 'localFailures'>;
  rateLimits: { perAddressPerMinute: number; perUserPerMinute: number; keyPrefix: string };
  /** 401s and 403s within a minute above which the unauthorized-access alert is raised. */
  unauthorizedBurstPerMinute: number;
  jwtSecret: string;
  corsOrigin: string;
  bodyLimit: string;
  bucketTable: BucketTable;
  loansPageMax: number;
  enqueueTimeoutMs?: number;
  intakeBatch?: { max: number; waitMs: number };
  /** Borrowers per chunk of a DPD run started by hand (DPD_CHUNK_BORROWERS). */
  dpdChunkBorrowers: number;
  /** Shown by GET /v1/admin/status (CRON_ENABLED and the rest; all on when absent, as configured by default). */
  featureFlags?: FeatureFlags;
  /** The queue console at /admin/queues (CONSOLE_*); Secure cookies in production. */
  queueConsole?: { sessionTtlSeconds: number; secureCookie: boolean; origin?: string };
  now?: () => Date;
  /** /metrics answers only to `Authorization: Bearer <METRICS_TOKEN>` when set. */
  metricsToken?: string;
  /** True once the process is shutting down (/readyz then answers 503). */
  shuttingDown?: () => boolean;
}

/** The Express app, and `drain` to store what the intake batcher holds (for graceful shutdown). */
export type LoanOpsApp = Express & { drain(): Promise<void> };

export function createApp(deps: AppDeps): LoanOpsApp {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  // Answers are JSON that changes with every posting: no ETag (hashing each body cost the intake).
  app.set('etag', false);

  app.use(requestLog(app, deps.logger));
  app.use(httpMetrics(deps.metrics));
  app.use(securityMonitor({ metrics: deps.metrics, alerter: deps.alerter, burstPerMinute: deps.unauthorizedBurstPerMinute }));
  app.use(securityHeaders());
  app.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin !== undefined && origin === deps.corsOrigin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, OPTIONS');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Location, Retry-After');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });
  operationsRoutes(app, {
    db: deps.db,
    redis: deps.redis,
    queues: deps.queues,
    metrics: deps.metrics,
    metricsToken: deps.metricsToken,
    shuttingDown: deps.shuttingDown ?? (() => false),
  });
  apiDocsRoutes(app, { bucketTable: deps.bucketTable, pageMax: deps.loansPageMax });
  const limits = rateLimits({ redis: deps.redis, metrics: deps.metrics, ...deps.rateLimits });
  app.use(limits.anonymous);
  app.use(express.json({ limit: deps.bodyLimit, strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // One policy for both ways in, so failures counted through one lock out the other too.
  const signInPolicy: SignInPolicy = { ...deps.signIn, secret: deps.jwtSecret, localFailures: new FailureCounts() };
  authRoutes(app, { db: deps.db, redis: deps.redis, policy: signInPolicy, metrics: deps.metrics });
  mountQueueConsole(app, {
    db: deps.db,
    redis: deps.redis,
    queues: deps.queues,
    policy: signInPolicy,
    metrics: deps.metrics,
    keyPrefix: deps.signIn.keyPrefix,
    sessionTtlSeconds: deps.queueConsole?.sessionTtlSeconds ?? 8 * 3600,
    secureCookie: deps.queueConsole?.secureCookie ?? false,
    logger: deps.logger,
    ...(deps.queueConsole?.origin ? { origin: deps.queueConsole.origin } : {}),
  });

  const enqueueTimeoutMs = deps.enqueueTimeoutMs ?? 2_000;
  const v1 = express.Router();
  v1.use(authenticate(deps.jwtSecret));
  v1.use(limits.authenticated);
  const route = routeRegistrar(v1, financialGuard({ db: deps.db, metrics: deps.metrics, alerter: deps.alerter }));
  // Payment intake first: the busiest route, matched before the others are tried.
  const payments = paymentRoutes(route, {
    db: deps.db,
    queues: deps.queues,
    bucketTable: deps.bucketTable,
    now,
    enqueueTimeoutMs,
    intakeBatchMax: deps.intakeBatch?.max ?? 64,
    intakeBatchWaitMs: deps.intakeBatch?.waitMs ?? 1,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  loanRoutes(route, {
    db: deps.db,
    queues: deps.queues,
    enqueueTimeoutMs,
    bucketTable: deps.bucketTable,
    now,
    pageMax: deps.loansPageMax,
  });
  auditRoutes(route, { db: deps.db });
  dpdRunRoutes(route, { db: deps.db, queues: deps.queues, chunkBorrowers: deps.dpdChunkBorrowers, now });
  adminQueueRoutes(route, {
    db: deps.db,
    queues: deps.queues,
    flags: deps.featureFlags ?? { CRON_ENABLED: true, ESCALATION_ENABLED: true, SCORING_ENABLED: true, REMINDERS_ENABLED: true },
  });
  legalCaseRoutes(route, { db: deps.db, pageMax: deps.loansPageMax });
  promiseRoutes(route, { db: deps.db, now, pageMax: deps.loansPageMax });
  collectorRoutes(route, { db: deps.db, bucketTable: deps.bucketTable, now });
  reportRoutes(route, { db: deps.db, bucketTable: deps.bucketTable, now });
  integrityRunRoutes(route, { db: deps.db });
  reconciliationRoutes(route, { db: deps.db });
  app.use('/v1', v1);

  app.use(notFound);
  app.use(limits.failed);
  app.use(errorHandler);
  return Object.assign(app, { drain: () => payments.drain() });
}
