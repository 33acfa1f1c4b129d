import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Kysely } from 'kysely';
import { pinoHttp } from 'pino-http';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { Queues } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';
import { authenticate } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import './http/express-types.js';
import { routeRegistrar } from './http/route.js';
import { loanRoutes } from './routes/loans.js';
import { paymentRoutes } from './routes/payments.js';

export interface AppDeps {
  db: Kysely<Database>;
  queues: Queues;
  logger: Logger;
  jwtSecret: string;
  corsOrigin: string;
  bodyLimit: string;
  bucketTable: BucketTable;
  loansPageMax: number;
  enqueueTimeoutMs?: number;
  now?: () => Date;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req, _res, next) => {
    req.requestId = String(req.id);
    next();
  });
  app.use(helmet());
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
  app.use(express.json({ limit: deps.bodyLimit, strict: true }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const v1 = express.Router();
  v1.use(authenticate(deps.jwtSecret));
  const route = routeRegistrar(v1);
  loanRoutes(route, { db: deps.db, bucketTable: deps.bucketTable, now, pageMax: deps.loansPageMax });
  paymentRoutes(route, {
    db: deps.db,
    queues: deps.queues,
    bucketTable: deps.bucketTable,
    now,
    enqueueTimeoutMs: deps.enqueueTimeoutMs ?? 2_000,
  });
  app.use('/v1', v1);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
