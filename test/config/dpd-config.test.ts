import { describe, expect, it } from 'vitest';
import { ConfigError, apiConfigSchema, parseEnv, workerConfigSchema } from '@loanops/config';

function workerProblems(env: Record<string, string>): string[] {
  try {
    parseEnv(workerConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('DPD and escalation settings', () => {
  it('default to 00:05 India time, DPD 90 and chunks of 5,000 borrowers', () => {
    const worker = parseEnv(workerConfigSchema, {});
    expect(worker).toMatchObject({
      DPD_CRON: '5 0 * * *',
      DPD_TIMEZONE: 'Asia/Kolkata',
      ESCALATION_DPD: 90,
      DPD_CHUNK_BORROWERS: 5_000,
      DPD_CONCURRENCY: 2,
      CRON_ENABLED: true,
      ESCALATION_ENABLED: true,
    });
    expect(parseEnv(apiConfigSchema, {}).DPD_CHUNK_BORROWERS).toBe(5_000);
  });

  it('takes other cron patterns and zones', () => {
    const worker = parseEnv(workerConfigSchema, { DPD_CRON: '30 1 * * MON-FRI', DPD_TIMEZONE: 'UTC', ESCALATION_DPD: '60' });
    expect(worker).toMatchObject({ DPD_CRON: '30 1 * * MON-FRI', DPD_TIMEZONE: 'UTC', ESCALATION_DPD: 60 });
    for (const pattern of ['*/15 * * * *', '0 0 1,15 * *', '0 5 0 * * *', '5 0 * JAN-MAR 0-6/2']) {
      expect(workerProblems({ DPD_CRON: pattern })).toEqual([]);
    }
  });

  it.each([
    [{ DPD_CRON: 'daily' }, 'DPD_CRON: must be a cron pattern of 5 fields'],
    [{ DPD_CRON: '5 24 * * *' }, 'DPD_CRON: hour "24" is not within 0-23 (got "5 24 * * *")'],
    [{ DPD_CRON: '61 0 * * *' }, 'DPD_CRON: minute "61" is not within 0-59'],
    [{ DPD_CRON: '5 0 * FOO *' }, 'DPD_CRON: month "FOO" is not within 1-12 or JAN-DEC'],
    [{ DPD_CRON: '*/0 0 * * *' }, 'DPD_CRON: minute "*/0"'],
    [{ DPD_TIMEZONE: 'India/Mumbai' }, 'DPD_TIMEZONE: must be an IANA time zone, e.g. Asia/Kolkata (got "India/Mumbai")'],
    [{ ESCALATION_DPD: '0' }, 'ESCALATION_DPD: must be between 1 and 3650 (got "0")'],
    [{ DPD_CHUNK_BORROWERS: 'lots' }, 'DPD_CHUNK_BORROWERS: must be a whole number'],
    [{ DPD_CONCURRENCY: '0' }, 'DPD_CONCURRENCY: must be between 1 and 64'],
  ])('names the wrong setting in one line: %j', (env, line) => {
    const found = workerProblems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(line);
  });
});
