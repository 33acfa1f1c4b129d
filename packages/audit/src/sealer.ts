import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '@loanops/db';
import { sealAuditChain } from './chain.js';

/** Seals the audit chain every `intervalMs` (a whole backlog in one go), until stopped. */
export function startAuditSealer(db: Kysely<Database>, logger: Logger, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      let sealed = 0;
      for (;;) {
        const count = await sealAuditChain(db);
        sealed += count;
        if (count < 5_000 || stopped) break;
      }
      if (sealed > 0) logger.debug({ sealed }, 'audit entries sealed');
    } catch (error) {
      logger.error({ err: error }, 'sealing the audit chain failed');
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : tick()));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
