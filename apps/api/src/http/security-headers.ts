import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/**
 * Helmet's default headers, worked out once at start-up: with its default options none of them
 * depends on the request, so every response gets the same list without running helmet's dozen
 * middlewares each time. Fails at start-up if helmet ever stops setting them synchronously.
 */
export function securityHeaders() {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let done = false;
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.push([name, String(value)]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet()({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    done = true;
  });
  if (!done || set.length === 0) throw new Error('helmet did not set its headers synchronously');
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
