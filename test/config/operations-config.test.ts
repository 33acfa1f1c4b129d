import { describe, expect, it } from 'vitest';
import { ConfigError, apiConfigSchema, parseEnv, workerConfigSchema } from '@loanops/config';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('operations settings', () => {
  it('has defaults: metrics open, worker metrics port off, 5 s probe, 30 s shutdown', () => {
    const api = parseEnv(apiConfigSchema, {});
    const worker = parseEnv(workerConfigSchema, {});
    expect(api.METRICS_TOKEN).toBeUndefined();
    expect(worker.WORKER_METRICS_PORT).toBe(0);
    expect([api.DB_PROBE_INTERVAL_MS, worker.DB_PROBE_INTERVAL_MS]).toEqual([5_000, 5_000]);
    expect([api.SHUTDOWN_TIMEOUT_MS, worker.SHUTDOWN_TIMEOUT_MS]).toEqual([30_000, 30_000]);
  });

  it('names a wrong value in one line, never echoing the token', () => {
    expect(problemsOf(() => parseEnv(apiConfigSchema, { METRICS_TOKEN: 'short-secret' }))).toEqual([
      'METRICS_TOKEN: must be at least 16 characters',
    ]);
    expect(problemsOf(() => parseEnv(workerConfigSchema, { WORKER_METRICS_PORT: '70000' }))).toEqual([
      'WORKER_METRICS_PORT: must be between 0 and 65535 (got "70000")',
    ]);
    expect(problemsOf(() => parseEnv(apiConfigSchema, { SHUTDOWN_TIMEOUT_MS: '10' }))).toEqual([
      'SHUTDOWN_TIMEOUT_MS: must be between 1000 and 600000 (got "10")',
    ]);
  });
});
