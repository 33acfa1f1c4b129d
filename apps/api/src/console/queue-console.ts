import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InvalidCredentialsError, TooManyAttemptsError, signIn, verifyAccessToken, type SignInPolicy } from '@loanops/auth';
import { LoanOpsError } from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import type { Metrics } from '@loanops/observability';
import { switchQueue } from '@loanops/operations';
import { QUEUE_NAMES, type Queues } from '@loanops/queues';
import { coerceError, isRedisUnavailableError, type Logger } from '@loanops/runtime';
import { ForbiddenError, UnauthenticatedError } from '../http/auth.js';
import { refusedPage, signInPage, signOutPage, signedOutPage } from './pages.js';
import { crossSiteProblem, isSafeMethod, readCookies } from './same-origin.js';
import { CONSOLE_ROLES, redisSessionStore, type ConsoleSession } from './sessions.js';

export const CONSOLE_PATH = '/admin/queues';
export const SESSION_COOKIE = 'loanops_console';

export interface QueueConsoleDeps {
  db: Kysely<Database>;
  redis: Redis;
  queues: Queues;
  policy: SignInPolicy;
  metrics: Metrics;
  /** Prefix of the session keys in Redis. */
  keyPrefix: string;
  sessionTtlSeconds: number;
  /** Secure cookies (NODE_ENV=production). */
  secureCookie: boolean;
  /** The console's public origin when it differs from what the API sees (a TLS proxy in front). */
  origin?: string;
  /** Where the board's own failures are logged (their text never reaches the page). */
  logger: Logger;
}

export class CrossSiteRequestError extends LoanOpsError {
  constructor(reason: string) {
    super('CROSS_SITE_REQUEST', `refused as a cross-site request: ${reason}`, { status: 403 });
    this.name = 'CrossSiteRequestError';
  }
}

/**
 * Pause and resume are never done by Bull Board itself: its routes for them are answered by the
 * kill switch (persisted and audited), and an adapter asked to pause anyway refuses.
 */
class KillSwitchAdapter extends BullMQAdapter {
  override pause(): Promise<void> {
    return Promise.reject(new Error('queues are paused through the kill switch'));
  }

  override resume(): Promise<void> {
    return Promise.reject(new Error('queues are resumed through the kill switch'));
  }
}

/**
 * The board's API failures, answered without their text: Bull Board's own handler echoed the
 * error's message (Redis's address and port, say). Redis away is a 503 the page shows as such;
 * anything else a 500 logged here. A 4xx the board raised about the request keeps its answer.
 */
type BoardErrorHandler = Parameters<ExpressAdapter['setErrorHandler']>[0];
type BoardStatus = ReturnType<BoardErrorHandler>['status'];

export function consoleApiError(logger: Logger): BoardErrorHandler {
  return (error: Error & { statusCode?: number }) => {
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return { status: status as BoardStatus, body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: error.message } };
    }
    if (isRedisUnavailableError(error) || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|Connection is closed/i.test(error.message)) {
      logger.warn({ err: coerceError(error) }, 'queue console: Redis unavailable');
      return {
        // Express sends any status; the adapter's type lists only those it uses itself.
        status: 503 as BoardStatus,
        body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: 'Redis is not answering: the queues cannot be shown until it is back.' },
      };
    }
    logger.error({ err: coerceError(error) }, 'queue console: unexpected error');
    return {
      status: 500,
      body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: 'The queue console failed; the API log has the details.' },
    };
  };
}

function board(queues: Queues, readOnlyMode: boolean, signOutUrl: string, logger: Logger): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(CONSOLE_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map(
      (name) => new KillSwitchAdapter(queues.get(name), { readOnlyMode, allowRetries: !readOnlyMode, description: `queue ${name}` }),
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: readOnlyMode ? 'LoanOps queues (read-only)' : 'LoanOps queues',
        miscLinks: [{ text: 'Sign out', url: signOutUrl }],
        hideDocsLink: true,
      },
    },
  });
  // After createBullBoard, which installs the adapter's default; the router reads it per error.
  serverAdapter.setErrorHandler(consoleApiError(logger));
  return serverAdapter.getRouter() as RequestHandler;
}

const signInForm = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(200),
  next: z.string().max(2_000).optional(),
});

/**
 * The writes the console does (paths under /admin/queues): pause and resume, retry, clean and
 * promote. Everything else Bull Board offers (adding or editing jobs, empty, obliterate,
 * concurrency, rate limits, schedulers) is refused: jobs enter only through the API and their
 * catalog schemas, and the record in Postgres is what the queues are rebuilt from.
 */
const CONSOLE_WRITES: readonly RegExp[] = [
  /^\/api\/queues\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(pause|resume|promote)$/,
  /^\/api\/queues\/[^/]+\/(retry|clean)\/[a-z-]+$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|clean|promote)$/,
];

/** Nothing but the console's own files, no framing (clickjacking), no third-party fonts. */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

/** Only console paths are followed after sign-in (no open redirect). */
function safeNext(next: string | undefined): string {
  if (next !== undefined && (next === CONSOLE_PATH || next.startsWith(`${CONSOLE_PATH}/`)) && !next.includes('//') && !next.includes('\\')) {
    return next;
  }
  return CONSOLE_PATH;
}

declare module 'express-serve-static-core' {
  interface Request {
    consoleSession?: ConsoleSession;
  }
}

/**
 * Bull Board at /admin/queues behind a sign-in of its own: a server-rendered form checked by
 * signIn (lockout and slow-down included), an opaque session id in an HttpOnly SameSite=Strict
 * cookie (Secure in production), every write refused unless same-origin (crossSiteProblem), and
 * sign-out. admin gets the board with the writes in CONSOLE_WRITES; ops a read-only board, and
 * any write from ops is refused here whatever the board would have done. Pause and resume (one
 * queue or all) go through switchQueue, so they are kept in Postgres and audited.
 */
export function mountQueueConsole(app: Express, deps: QueueConsoleDeps): void {
  const sessions = redisSessionStore({ db: deps.db, redis: deps.redis, keyPrefix: deps.keyPrefix, ttlSeconds: deps.sessionTtlSeconds });
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: deps.secureCookie,
    path: '/admin',
  };
  const sessionOf = async (req: Request): Promise<ConsoleSession | null> => {
    const id = readCookies(req).get(SESSION_COOKIE);
    return id === undefined ? null : sessions.find(id);
  };

  app.use('/admin', (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (!isSafeMethod(req.method)) {
      const problem = crossSiteProblem(req, deps.origin);
      if (problem) {
        deps.metrics.authFailures.inc({ reason: 'cross-site' });
        req.log.warn({ method: req.method, path: req.originalUrl, problem }, 'queue console refused a cross-site request');
        next(new CrossSiteRequestError(problem));
        return;
      }
    }
    next();
  });

  app.get('/admin', (_req, res) => res.redirect(303, CONSOLE_PATH));

  app.get('/admin/sign-in', async (req, res) => {
    const next = safeNext(typeof req.query.next === 'string' ? req.query.next : undefined);
    if (await sessionOf(req)) {
      res.redirect(303, next);
      return;
    }
    res.type('html').send(signInPage({ next }));
  });

  app.post('/admin/sign-in', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const form = signInForm.safeParse(req.body ?? {});
    const next = safeNext(form.success ? form.data.next : undefined);
    if (!form.success) {
      res.status(400).type('html').send(signInPage({ next, problem: 'Enter your e-mail and password.' }));
      return;
    }
    const { email, password } = form.data;
    let principal;
    try {
      const token = await signIn(
        deps.db,
        deps.redis,
        { email, password, address: req.socket.remoteAddress ?? 'unknown', requestId: req.requestId },
        deps.policy,
      );
      const check = await verifyAccessToken(token.accessToken, deps.policy.secret);
      if (!check.ok) throw new Error('a token just signed did not verify');
      principal = check.principal;
    } catch (error) {
      if (error instanceof InvalidCredentialsError || error instanceof TooManyAttemptsError) {
        deps.metrics.authFailures.inc({ reason: 'sign-in' });
        if (error instanceof TooManyAttemptsError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
        res
          .status(error.status)
          .type('html')
          .send(signInPage({ next, email, problem: error instanceof TooManyAttemptsError ? 'Too many failed sign-ins; try again later.' : 'The e-mail or password is wrong.' }));
        return;
      }
      throw error;
    }
    if (!CONSOLE_ROLES.includes(principal.role)) {
      deps.metrics.authFailures.inc({ reason: 'forbidden' });
      req.log.warn({ role: principal.role }, 'queue console refused to a role without access');
      res.status(403).type('html').send(refusedPage(`The ${principal.role} role has no access to the queue console.`));
      return;
    }
    // A fresh id at every sign-in; a session the browser already carried ends here.
    const previous = readCookies(req).get(SESSION_COOKIE);
    if (previous !== undefined) await sessions.destroy(previous);
    const id = await sessions.create({ userId: Number(principal.sub), email, role: principal.role });
    req.log.info({ role: principal.role }, 'signed in to the queue console');
    res.cookie(SESSION_COOKIE, id, { ...cookieOptions, maxAge: deps.sessionTtlSeconds * 1_000 });
    res.redirect(303, next);
  });

  app.get('/admin/sign-out', async (req, res) => {
    const session = await sessionOf(req);
    if (!session) {
      res.redirect(303, '/admin/sign-in');
      return;
    }
    res.type('html').send(signOutPage(session.email));
  });

  app.post('/admin/sign-out', async (req, res) => {
    const id = readCookies(req).get(SESSION_COOKIE);
    if (id !== undefined) await sessions.destroy(id);
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    res.type('html').send(signedOutPage());
  });

  const requireSession: RequestHandler = async (req, res, next) => {
    const session = await sessionOf(req);
    if (!session) {
      if (req.path.startsWith('/api/') || !isSafeMethod(req.method)) {
        deps.metrics.authFailures.inc({ reason: 'console-session' });
        // A board left open after its session ended polls every few seconds with the old cookie:
        // refused, but not a sign of anyone probing (the unauthorized-access alert leaves it out).
        if (isSafeMethod(req.method) && readCookies(req).has(SESSION_COOKIE)) res.locals.staleConsolePoll = true;
        throw new UnauthenticatedError('sign in to the queue console first');
      }
      res.redirect(302, `/admin/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    req.consoleSession = session;
    if (!isSafeMethod(req.method) && session.role !== 'admin') {
      deps.metrics.authFailures.inc({ reason: 'forbidden' });
      req.log.warn({ role: session.role, method: req.method, path: req.originalUrl }, 'queue console write refused');
      throw new ForbiddenError(`role ${session.role} may only look at the queues`);
    }
    if (!isSafeMethod(req.method)) {
      if (!(req.method === 'PUT' && CONSOLE_WRITES.some((pattern) => pattern.test(req.path)))) {
        req.log.warn({ method: req.method, path: req.originalUrl }, 'queue console action not offered');
        throw new ForbiddenError('the queue console only pauses, resumes, retries, cleans and promotes');
      }
      if (!/\/(pause|resume)$/.test(req.path)) auditWhenDone(req, res, session);
    }
    next();
  };

  /** Retry, clean and promote from the console are audited once they succeeded (pause and resume audit themselves). */
  const auditWhenDone = (req: Request, res: Response, session: ConsoleSession) => {
    const [, , , queue = 'all', ...rest] = req.path.split('/');
    res.on('finish', () => {
      if (res.statusCode >= 400) return;
      recordAudit(deps.db, {
        actor: { type: 'user', id: String(session.userId), role: session.role },
        action: 'QUEUE_CONSOLE_ACTION',
        entityType: 'queue',
        entityId: queue,
        metadata: { action: rest.join('/'), path: req.originalUrl },
        requestId: req.requestId,
      }).catch((error: unknown) => req.log.error({ err: error }, 'could not audit a queue console action'));
    });
  };

  const switches = express.Router();
  const actorOf = (req: Request) => {
    const session = req.consoleSession as ConsoleSession;
    return { type: 'user' as const, id: String(session.userId), role: session.role };
  };
  for (const action of ['pause', 'resume'] as const) {
    switches.put(`/api/queues/${action}`, async (req, res) => {
      for (const queue of QUEUE_NAMES) {
        await switchQueue(deps.db, deps.queues, {
          queue,
          paused: action === 'pause',
          actor: actorOf(req),
          reason: `${action} all from the queue console`,
          requestId: req.requestId,
          via: 'queue-console',
        });
      }
      res.json({});
    });
    switches.put(`/api/queues/:queueName/${action}`, async (req, res) => {
      const control = await switchQueue(deps.db, deps.queues, {
        queue: String(req.params.queueName),
        paused: action === 'pause',
        actor: actorOf(req),
        reason: 'from the queue console',
        requestId: req.requestId,
        via: 'queue-console',
      });
      req.log.warn({ queue: control.queue, paused: control.paused }, `queue ${action}d from the queue console`);
      res.json({});
    });
  }

  const adminBoard = board(deps.queues, false, '/admin/sign-out', deps.logger);
  const opsBoard = board(deps.queues, true, '/admin/sign-out', deps.logger);
  app.use(CONSOLE_PATH, requireSession, switches, (req: Request, res: Response, next: NextFunction) => {
    (req.consoleSession?.role === 'admin' ? adminBoard : opsBoard)(req, res, next);
  });
}
