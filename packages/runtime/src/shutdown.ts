import type { Logger } from 'pino';

export type ShutdownStep = { name: string; run: () => Promise<unknown> };

/**
 * On SIGTERM or SIGINT, runs the steps in order (stop intake, drain, close pools), each bounded by
 * the timeout, then exits 0 (1 when a step failed or the timeout passed). A second signal exits at once.
 */
export function onShutdownSignal(logger: Logger, steps: () => ShutdownStep[], timeoutMs: number): void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void (async () => {
      let failed = false;
      for (const step of steps()) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (error) {
          failed = true;
          logger.error({ step: step.name, err: error }, 'shutdown step failed');
        }
      }
      process.exit(failed ? 1 : 0);
    })();
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
