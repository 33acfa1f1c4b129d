import { describe, expect, it, vi } from 'vitest';
import { retryUntilDone, startPeriodic } from '@loanops/runtime';
import { waitFor } from '../support/wait.js';

describe('retryUntilDone', () => {
  it('retries a failing task until it succeeds once, reporting each failure', async () => {
    let attempts = 0;
    const errors: unknown[] = [];
    const task = retryUntilDone(
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
      },
      { retryMs: 5, onError: (error) => errors.push(error) },
    );
    await task.done;
    expect(attempts).toBe(3);
    expect(errors.map((error) => (error as Error).message)).toEqual(['attempt 1 failed', 'attempt 2 failed']);
  });

  it('settles and stops trying once stopped', async () => {
    vi.useFakeTimers();
    try {
      let attempts = 0;
      const task = retryUntilDone(
        async () => {
          attempts += 1;
          throw new Error('never works');
        },
        { retryMs: 100, onError: () => undefined },
      );
      await vi.advanceTimersByTimeAsync(150);
      expect(attempts).toBe(2);
      task.stop();
      await task.done;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(attempts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('startPeriodic', () => {
  it('never runs two at once, goes on after a failure, and waits for the run under way on stop', async () => {
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const errors: unknown[] = [];
    const periodic = startPeriodic(
      async () => {
        running += 1;
        overlapped ||= running > 1;
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 15));
        running -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
      2,
      (error) => errors.push(error),
    );
    await waitFor(() => runs >= 3, { what: 'three runs' });
    await periodic.stop();
    expect(running).toBe(0);
    expect(overlapped).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
