import { z } from 'zod';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names standing for min, min + 1, … (months from 1, week days from 0). */
  names?: readonly string[];
}

const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const ITEM = /^(?:\*|([0-9]+|[A-Za-z]{3})(?:-([0-9]+|[A-Za-z]{3}))?)(?:\/([0-9]+))?$/;

function value(text: string, field: CronField): number | null {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index < 0 ? null : field.min + index;
}

/** Null when `pattern` is a cron pattern BullMQ's scheduler reads (5 fields, or 6 with seconds), else why not. */
export function cronProblem(pattern: string): string | null {
  const parts = pattern.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return 'must be a cron pattern of 5 fields (minute hour day-of-month month day-of-week), e.g. 5 0 * * *';
  }
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (const [index, part] of parts.entries()) {
    const field = fields[index] as CronField;
    for (const item of part.split(',')) {
      const match = ITEM.exec(item);
      const [from, to, step] = match ? [match[1], match[2], match[3]] : [];
      const bounds = [from, to].filter((text): text is string => text !== undefined).map((text) => value(text, field));
      if (!match || bounds.some((bound) => bound === null || bound < field.min || bound > field.max) || step === '0') {
        const names = field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : '';
        return `${field.name} "${part}" is not within ${field.min}-${field.max}${names}`;
      }
    }
  }
  return null;
}

export const envCron = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .superRefine((pattern, ctx) => {
      const problem = cronProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** An IANA time zone name the runtime knows, e.g. Asia/Kolkata. */
export const envTimeZone = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone, e.g. Asia/Kolkata');
