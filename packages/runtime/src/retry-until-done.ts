/** Work retried until it succeeds once, or until stopped. */
export interface RetriedTask {
  /** Settles when the task has succeeded, or when it was stopped first. */
  done: Promise<void>;
  /** No further attempt starts, and `done` settles. */
  stop(): void;
}

/**
 * Runs `task` until it succeeds, waiting `retryMs` after each failure (handed to `onError`).
 * Start-up work that needs a dependency which may not be up yet (a schedule registered in
 * Redis, say) goes through here, so a process waits for it rather than dying. The timer does not
 * keep the process alive.
 */
export function retryUntilDone(task: () => Promise<void>, options: { retryMs: number; onError: (error: unknown) => void }): RetriedTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let settle = () => undefined as void;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
    const attempt = () => {
      if (stopped) return;
      task().then(resolve, (error: unknown) => {
        if (stopped) return;
        options.onError(error);
        timer = setTimeout(attempt, options.retryMs);
        timer.unref();
      });
    };
    attempt();
  });
  return {
    done,
    stop() {
      stopped = true;
      clearTimeout(timer);
      settle();
    },
  };
}
