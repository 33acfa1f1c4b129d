import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, isSchemaCurrent, postgresProblem } from '@loanops/db';
import { isBusinessDate } from '@loanops/domain';
import { InvalidStatementError, LAYOUT_NAMES, importStatement, layoutInputSchema, resolveLayout } from '@loanops/reconciliation';

/**
 * npm run reconcile -- statement.csv [--layout hdfc] [--value-date H --utr H --amount H | --credit H --debit H]
 *                       [--from YYYY-MM-DD --to YYYY-MM-DD] [--json]
 *
 * Exit status: 0 reconciled (differences or not: they are in the report); 65 the statement has
 * wrong rows and nothing was stored; 64 bad arguments; 69 Postgres unavailable or its schema behind.
 */
const EXIT = { ok: 0, usage: 64, dataError: 65, unavailable: 69 } as const;

const USAGE = `usage: npm run reconcile -- <statement.csv> [options]

  --layout <name>        ${LAYOUT_NAMES.join(' | ')} (default simple: value_date, utr, amount)
  --value-date <header>  --utr <header>  --narration <header>
  --amount <header>      one amount column (debits negative or marked Dr), or
  --credit <header> --debit <header>
  --from <date> --to <date>  the statement's period (default: its first and last value dates)
  --json                 print the result as JSON
`;

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      layout: { type: 'string' },
      'value-date': { type: 'string' },
      utr: { type: 'string' },
      amount: { type: 'string' },
      credit: { type: 'string' },
      debit: { type: 'string' },
      narration: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  fail(EXIT.usage, `${(error as Error).message}\n\n${USAGE}`);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT.ok);
}
const file = positionals[0];
if (!file || positionals.length > 1) fail(EXIT.usage, USAGE);
for (const field of ['from', 'to'] as const) {
  const value = values[field];
  if (value !== undefined && !isBusinessDate(value)) fail(EXIT.usage, `--${field}: must be a date written YYYY-MM-DD`);
}
const layoutInput = layoutInputSchema.safeParse(
  Object.fromEntries(
    Object.entries({
      layout: values.layout,
      valueDate: values['value-date'],
      utr: values.utr,
      amount: values.amount,
      credit: values.credit,
      debit: values.debit,
      narration: values.narration,
    }).filter(([, value]) => value !== undefined),
  ),
);
if (!layoutInput.success) {
  fail(EXIT.usage, layoutInput.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
}

const config = loadConfigOrExit(cliConfigSchema);
const problem = await postgresProblem(config.DATABASE_URL);
if (problem) fail(EXIT.unavailable, problem);
let text: string;
try {
  text = await readFile(file, 'utf8');
} catch (error) {
  fail(EXIT.usage, `cannot read ${file}: ${(error as Error).message}`);
}
const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 2, applicationName: 'loanops-reconcile' });
try {
  if (!(await isSchemaCurrent(db))) fail(EXIT.unavailable, 'The database schema is behind this build; run `npm run migrate` first.');
  const statement = await importStatement(db, text, {
    layoutName: layoutInput.data.layout,
    layout: resolveLayout(layoutInput.data),
    fileName: path.basename(file),
    from: values.from,
    to: values.to,
    actor: { type: 'system', id: 'cli-reconcile' },
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(statement, null, 2)}\n`);
  } else {
    const { counts } = statement;
    process.stdout.write(
      [
        `statement ${statement.id} (${statement.from} to ${statement.to}, ${statement.lines} credits)`,
        `  matched              ${counts.MATCHED}`,
        `  amount mismatch      ${counts.AMOUNT_MISMATCH}`,
        `  in bank, not posted  ${counts.IN_BANK_NOT_POSTED}`,
        `  posted, not in bank  ${counts.POSTED_NOT_IN_BANK}`,
        `  no UTR               ${counts.NO_UTR}`,
        `details: GET /v1/reconciliations/${statement.id}/items?format=csv`,
        '',
      ].join('\n'),
    );
  }
} catch (error) {
  if (error instanceof InvalidStatementError) {
    const lines = error.problems.map((p) => (p.row > 0 ? `row ${p.row}, ${p.column}: ${p.message}` : `${p.column}: ${p.message}`));
    process.stderr.write(`nothing stored; the statement has ${lines.length} problem(s):\n${lines.join('\n')}\n`);
    process.exitCode = EXIT.dataError;
  } else {
    throw error;
  }
} finally {
  await close();
}
