import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, workerConfigSchema } from '@loanops/config';

function problems(env: Record<string, string>): string[] {
  try {
    parseEnv(workerConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('reminders, outbox and scoring settings', () => {
  it('default to reminders planned hourly from 07:30 to 17:30 IST, 3 days before a due date, the log channel (reminders and legal team) and the documented weights', () => {
    expect(parseEnv(workerConfigSchema, {})).toMatchObject({
      REMINDERS_ENABLED: true,
      SCORING_ENABLED: true,
      REMINDER_CRON: '30 7-17 * * *',
      SCORING_CRON: '30 1 * * *',
      INSTALLMENT_REMINDER_DAYS_BEFORE: 3,
      NOTIFY_WEBHOOK_TIMEOUT_MS: 5_000,
      NOTIFY_MAX_ATTEMPTS: 5,
      NOTIFY_RETRY_BASE_MS: 30_000,
      NOTIFY_POLL_MS: 15_000,
      SCORE_WEIGHTS: { efficiency: 40, ptpKept: 25, cure: 20, rollForward: 15 },
    });
    expect(parseEnv(workerConfigSchema, {}).NOTIFY_WEBHOOK_URL).toBeUndefined();
    expect(parseEnv(workerConfigSchema, {}).LEGAL_NOTIFY_WEBHOOK_URL).toBeUndefined();
  });

  it('takes webhooks for reminders and for the legal team, other weights and a flag off', () => {
    const config = parseEnv(workerConfigSchema, {
      NOTIFY_WEBHOOK_URL: 'https://sms.example.in/hook',
      LEGAL_NOTIFY_WEBHOOK_URL: 'http://legal.internal:8080/cases',
      SCORE_WEIGHTS: '{"efficiency":1,"ptpKept":1,"cure":0,"rollForward":0}',
      REMINDERS_ENABLED: 'false',
    });
    expect(config).toMatchObject({
      NOTIFY_WEBHOOK_URL: 'https://sms.example.in/hook',
      LEGAL_NOTIFY_WEBHOOK_URL: 'http://legal.internal:8080/cases',
      SCORE_WEIGHTS: { efficiency: 1, ptpKept: 1, cure: 0, rollForward: 0 },
      REMINDERS_ENABLED: false,
    });
  });

  it.each([
    [{ NOTIFY_WEBHOOK_URL: 'ftp://x' }, 'NOTIFY_WEBHOOK_URL: must be an http:// or https:// URL'],
    [{ LEGAL_NOTIFY_WEBHOOK_URL: 'legal.internal/cases' }, 'LEGAL_NOTIFY_WEBHOOK_URL: must be an http:// or https:// URL'],
    [{ LEGAL_NOTIFY_WEBHOOK_URL: 'mailto:legal@lender.in' }, 'LEGAL_NOTIFY_WEBHOOK_URL: must be an http:// or https:// URL'],
    [{ SCORE_WEIGHTS: 'heavy' }, 'SCORE_WEIGHTS: must be JSON'],
    [{ SCORE_WEIGHTS: '{"efficiency":0,"ptpKept":0,"cure":0,"rollForward":0}' }, 'SCORE_WEIGHTS: at least one weight must be above 0'],
    [{ SCORE_WEIGHTS: '{"efficiency":-1,"ptpKept":0,"cure":0,"rollForward":1}' }, 'SCORE_WEIGHTS: efficiency must be 0 or more'],
    [{ SCORE_WEIGHTS: '{"efficiency":1}' }, 'SCORE_WEIGHTS: ptpKept'],
    [{ REMINDER_CRON: '0 25 * * *' }, 'REMINDER_CRON: hour "25" is not within 0-23'],
    [{ INSTALLMENT_REMINDER_DAYS_BEFORE: '0' }, 'INSTALLMENT_REMINDER_DAYS_BEFORE: must be between 1 and 30'],
  ])('%o is refused in one line naming the variable', (env, message) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });
});
