import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, apiConfigSchema, parseEnv, workerConfigSchema } from '@loanops/config';
import { DEFAULT_BUCKET_TABLE } from '@loanops/domain';

function problems(env: Record<string, string>): string[] {
  try {
    parseEnv(apiConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has defaults that work against local Postgres and Redis', () => {
    const config = parseEnv(apiConfigSchema, {});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/loanops');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.PORT).toBe(3000);
    expect(config.CRON_ENABLED && config.ESCALATION_ENABLED && config.SCORING_ENABLED && config.REMINDERS_ENABLED).toBe(true);
    expect(config.BUCKET_TABLE).toEqual(DEFAULT_BUCKET_TABLE);
    expect(config.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it.each([
    [{ PORT: '99999' }, 'PORT: must be between 1 and 65535 (got "99999")'],
    [{ PORT: 'eighty' }, 'PORT: must be a whole number (got "eighty")'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL (got "mysql://x")'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL (got "localhost:6379")'],
    [{ CRON_ENABLED: 'maybe' }, 'CRON_ENABLED: must be true or false (got "maybe")'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV:'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET: must be at least 32 characters'],
    [{ BUCKET_TABLE: '[{"name":"A","minDpd":3}]' }, 'BUCKET_TABLE:'],
    [{ BUCKET_TABLE: 'not json' }, 'BUCKET_TABLE: must be JSON'],
  ])('names the variable that is wrong: %j', (env, line) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(line);
  });

  it('never echoes a secret it refuses', () => {
    expect(problems({ JWT_SECRET: 'hunter2' }).join()).not.toContain('hunter2');
  });

  it('refuses to start in production without JWT_SECRET and METRICS_TOKEN', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET: is required when NODE_ENV=production',
      'METRICS_TOKEN: is required when NODE_ENV=production (/metrics would be open)',
    ]);
    expect(problems({ NODE_ENV: 'production', METRICS_TOKEN: 'm'.repeat(20) })).toEqual(['JWT_SECRET: is required when NODE_ENV=production']);
    expect(problems({ NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), METRICS_TOKEN: 'm'.repeat(20) })).toEqual([]);
  });

  it('parses flags and a custom bucket table', () => {
    const config = parseEnv(workerConfigSchema, {
      ESCALATION_ENABLED: 'false',
      SCORING_ENABLED: '0',
      BUCKET_TABLE: '[{"name":"CURRENT","minDpd":0},{"name":"X30","minDpd":31},{"name":"NPA","minDpd":91}]',
    });
    expect(config.ESCALATION_ENABLED).toBe(false);
    expect(config.SCORING_ENABLED).toBe(false);
    expect(config.CRON_ENABLED).toBe(true);
    expect(config.BUCKET_TABLE.map((b) => b.name)).toEqual(['CURRENT', 'X30', 'NPA']);
  });

  it('stops the API at start with one line naming the variable and no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
      env: { ...process.env, PORT: 'not-a-port', NODE_ENV: 'development' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe('config error: PORT: must be a whole number (got "not-a-port")');
  });
});
