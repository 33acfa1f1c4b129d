import { z } from 'zod';

/** `true`/`false` (or 1/0, yes/no) as written in an environment file; anything else is an error. */
export const envFlag = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE'], {
      error: 'must be true or false',
    })
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes', 'TRUE'].includes(value));

export const envInt = (defaultValue: number, min: number, max: number) =>
  z
    .string()
    .default(String(defaultValue))
    .refine((value) => /^\d+$/.test(value.trim()), 'must be a whole number')
    .transform((value) => Number(value.trim()))
    .refine((value) => value >= min && value <= max, `must be between ${min} and ${max}`);

export const envUrl = (protocols: readonly string[], defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/**
 * Parses an environment against a schema. Each problem becomes one line naming the variable,
 * e.g. `PORT: must be between 1 and 65535 (got "99999")`. Secrets are never echoed.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || 'environment';
    const raw = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
    const shown = raw === undefined ? '' : /SECRET|TOKEN|PASSWORD/i.test(name) ? '' : ` (got ${JSON.stringify(raw)})`;
    const message = raw === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
    return `${name}: ${message}${shown}`;
  });
  throw new ConfigError(problems);
}

/**
 * For entry points: parse or stop. A bad environment prints one line per variable on stderr and
 * exits with status 78 (EX_CONFIG), without a stack trace.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(78);
  }
}
