import { z } from 'zod';

/** `?limit=`: a whole number from 1 to `max`, `fallback` when absent. */
export function pageLimit(max: number, fallback = 50) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be between 1 and ${max}`)
    .default(fallback);
}
