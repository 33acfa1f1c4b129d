import type { NextFunction, Request, Response } from 'express';
import type { Alerter, Metrics } from '@loanops/observability';

/**
 * Counts every 401 and 403 the API answers (by reason) and raises the unauthorized-access alert
 * when more than `burstPerMinute` of them come within one minute. A queue-console board still
 * polling after its session ended (`res.locals.staleConsolePoll`) is left out: a forgotten tab
 * would raise the alert by itself.
 */
export function securityMonitor(options: { metrics: Metrics; alerter: Alerter; burstPerMinute: number }) {
  let windowStart = 0;
  let inWindow = 0;
  return (req: Request, res: Response, next: NextFunction): void => {
    res.once('finish', () => {
      if (res.statusCode !== 401 && res.statusCode !== 403) return;
      if (res.locals.staleConsolePoll === true) return;
      options.metrics.authFailures.inc({ reason: res.statusCode === 401 ? 'unauthenticated' : 'forbidden' });
      const now = Date.now();
      if (now - windowStart >= 60_000) {
        windowStart = now;
        inWindow = 0;
      }
      inWindow += 1;
      if (inWindow > options.burstPerMinute) {
        options.alerter.alert('unauthorized-burst', `${inWindow} unauthorized requests in the last minute`, {
          lastAddress: req.socket.remoteAddress,
          lastPath: req.path,
          lastStatus: res.statusCode,
        });
      }
    });
    next();
  };
}
