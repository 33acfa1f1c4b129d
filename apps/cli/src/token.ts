import { z } from 'zod';
import { ROLES, signAccessToken } from '@loanops/auth';
import { apiConfigSchema, loadConfigOrExit } from '@loanops/config';

/**
 * `npm run token -- --role admin [--sub 1] [--hours 12]` prints an access token signed with this
 * environment's JWT_SECRET: for operators and local development.
 */
const config = loadConfigOrExit(apiConfigSchema);
const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
};
const parsed = z
  .object({
    role: z.enum(ROLES),
    sub: z.string().min(1).default('ops-cli'),
    hours: z.coerce.number().int().min(1).max(24 * 30).default(12),
  })
  .safeParse({ role: option('role'), sub: option('sub'), hours: option('hours') });
if (!parsed.success) {
  process.stderr.write(`usage: npm run token -- --role ${ROLES.join('|')} [--sub ID] [--hours N]\n`);
  process.exit(64);
}
process.stdout.write(`${await signAccessToken({ role: parsed.data.role, sub: parsed.data.sub }, config.JWT_SECRET, parsed.data.hours * 3600)}\n`);
