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

  it('requires METRICS_TOKEN in production wherever /metrics is served', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) };
    expect(problemsOf(() => parseEnv(apiConfigSchema, production))).toEqual([
      'METRICS_TOKEN: is required when NODE_ENV=production (/metrics would be open)',
    ]);
    expect(problemsOf(() => parseEnv(workerConfigSchema, { ...production, WORKER_METRICS_PORT: '9464' }))).toEqual([
      'METRICS_TOKEN: is required when NODE_ENV=production and WORKER_METRICS_PORT is set (/metrics would be open)',
    ]);
    // A worker serving no /metrics needs none; outside production the token stays optional.
    expect(problemsOf(() => parseEnv(workerConfigSchema, production))).toEqual([]);
    expect(problemsOf(() => parseEnv(workerConfigSchema, { WORKER_METRICS_PORT: '9464' }))).toEqual([]);
    expect(parseEnv(apiConfigSchema, { ...production, METRICS_TOKEN: 'm'.repeat(20) }).METRICS_TOKEN).toBe('m'.repeat(20));
  });
});
