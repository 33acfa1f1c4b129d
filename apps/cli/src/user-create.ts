import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ROLES, createUser } from '@loanops/auth';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { LoanOpsError, ValidationError } from '@loanops/domain';
import { createDb, postgresProblem, type Role } from '@loanops/db';

/**
 * npm run user:create -- --email a@lender.in --name "Asha Rao" --role finance
 *   [--collector COL0001 [--collector-name "Ravi Kumar"]]
 * The password is read from standard input (one line), so it never sits in shell history.
 */
const USAGE = `usage: npm run user:create -- --email E --name NAME --role ${ROLES.join('|')} [--collector CODE [--collector-name NAME]]
the password is read from standard input, e.g.  read -s PW && echo "$PW" | npm run user:create -- …`;

const config = loadConfigOrExit(cliConfigSchema);
let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      collector: { type: 'string' },
      'collector-name': { type: 'string' },
    },
    strict: true,
  }) as { values: Record<string, string | undefined> });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(64);
}
if (!values.email || !values.name || !values.role) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(64);
}

const problem = await postgresProblem(config.DATABASE_URL);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(69);
}

if (process.stdin.isTTY) process.stderr.write('password (input is shown; pipe it in to hide it): ');
const reader = createInterface({ input: process.stdin, terminal: false });
const password = (await reader[Symbol.asyncIterator]().next()).value ?? '';
reader.close();

const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 1, applicationName: 'loanops-user-create' });
try {
  const created = await createUser(
    db,
    {
      email: values.email,
      displayName: values.name,
      role: values.role as Role,
      password: String(password).replace(/\r?\n$/, ''),
      ...(values.collector ? { collectorCode: values.collector } : {}),
      ...(values['collector-name'] ? { collectorName: values['collector-name'] } : {}),
    },
    { type: 'system', id: `cli:${process.env.USER ?? 'unknown'}` },
  );
  process.stdout.write(`created user ${created.id} (${values.email}, ${values.role})\n`);
} catch (error) {
  if (error instanceof ValidationError) {
    for (const issue of error.issues) process.stderr.write(`${issue.path}: ${issue.message}\n`);
    process.exitCode = 65;
  } else if (error instanceof LoanOpsError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 65;
  } else {
    process.stderr.write(`could not create the user: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
} finally {
  await close();
}
