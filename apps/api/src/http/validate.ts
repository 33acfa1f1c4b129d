import type { z } from 'zod';
import { ValidationError } from '@loanops/domain';

/** Parses input against a schema; a failure is a 400 naming every wrong field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      if (issue.code === 'unrecognized_keys') {
        return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` };
      }
      if (issue.code === 'invalid_type' && issue.input === undefined) return { path, message: 'is required' };
      return { path, message: issue.message };
    }),
  );
}
