import type { Logger } from 'pino';
import type { Principal } from './auth.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the request-id middleware; echoed as X-Request-Id and in every error body. */
      requestId: string;
      log: Logger;
      principal?: Principal;
    }
  }
}

export {};
