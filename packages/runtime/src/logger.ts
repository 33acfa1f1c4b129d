import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that never reach a log line: credentials, tokens, and borrowers' phone numbers
 * wherever they sit in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'phone',
  '*.phone',
  '*.*.phone',
  'borrower.phone',
  'secret',
  '*.secret',
];

export interface LoggerSettings {
  level: string;
  name: string;
  /** Extra fields on every line (e.g. queue names of a worker). */
  base?: Record<string, unknown>;
  destination?: NodeJS.WritableStream;
}

/** JSON lines on stdout, ISO times, redaction on. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level,
    base: { pid: process.pid, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** Normalises anything thrown into an Error, keeping the original as its cause. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${safeString(thrown)}`, { cause: thrown });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
