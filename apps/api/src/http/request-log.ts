import { randomUUID } from 'node:crypto';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from '@loanops/runtime';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const BOUND = Symbol('request-logger');
type WithBound = Request & { [BOUND]?: Logger };

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane, else a new one), echoes it,
 * binds a logger to it, and logs the outcome once the response is sent: 5xx at error, 4xx at warn,
 * the rest at info. Query strings and bodies are never logged.
 */
export function requestLog(app: Express, logger: Logger) {
  // `req.log` is a getter on the app's request prototype, bound on first use: most requests of a
  // busy intake never log at the configured level, and an accessor defined on each request object
  // would cost every request a slow, allocating object shape.
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: WithBound): Logger {
      return (this[BOUND] ??= logger.child({ requestId: this.requestId }));
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    req.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      req.log[level](
        {
          method: req.method,
          path: req.route ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}` : req.path,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          role: req.principal?.role,
        },
        'request completed',
      );
    });
    next();
  };
}
