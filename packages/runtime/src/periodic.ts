/** A task run every `intervalMs`, one run at a time, until stopped. */
export interface Periodic {
  /** No new run starts; resolves when the one under way (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, never two at once (a slow run delays the next rather than
 * overlapping it). A run that throws is handed to `onError` and the next one goes ahead. The timer
 * does not keep the process alive.
 */
export function startPeriodic(
  task: (isStopped: () => boolean) => Promise<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
): Periodic {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const isStopped = () => stopped;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await task(isStopped);
      } catch (error) {
        onError(error);
      }
    });
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
