import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '@loanops/db';
import { startPeriodic, type Periodic } from '@loanops/runtime';
import { sealAuditChain } from './chain.js';

/** Seals the audit chain every `intervalMs` (a whole backlog in one go), until stopped. */
export function startAuditSealer(db: Kysely<Database>, logger: Logger, intervalMs: number): Periodic {
  return startPeriodic(
    async (isStopped) => {
      let sealed = 0;
      for (;;) {
        const count = await sealAuditChain(db);
        sealed += count;
        if (count < 5_000 || isStopped()) break;
      }
      if (sealed > 0) logger.debug({ sealed }, 'audit entries sealed');
    },
    intervalMs,
    (error) => logger.error({ err: error }, 'sealing the audit chain failed'),
  );
}
