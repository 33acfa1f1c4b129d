import { parseArgs } from 'node:util';
import { z } from 'zod';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, ensureDatabaseExists, migrateToLatest, postgresProblem } from '@loanops/db';
import { describeUrl } from '@loanops/runtime';
import { businessToday } from '@loanops/domain';
import { BookNotEmptyError, seedBook, type SeedProgress, type SeedSummary } from '@loanops/loan-book';

/**
 * npm run seed -- [--loans N] [--seed INT] [--collectors K] [--append]
 *
 * Builds a demo book with COPY in one transaction: collectors, borrowers, loans in every bucket,
 * their schedules and first bucket-history rows, and one BOOK_SEEDED audit entry. Creates and
 * migrates the database first when needed.
 */

const DEFAULT_SEED = 1;

const USAGE = `usage: npm run seed -- [--loans N] [--seed INT] [--collectors K] [--append]
  --loans N         loans to create (default 10000)
  --seed INT        the same seed (on the same business date) builds the same book (default ${DEFAULT_SEED})
  --collectors K    collectors to create (default: one per 2,000 loans, at least 5)
  --append          add to a book that already has loans, numbering after its last LN number
There is no --reset: the audit log is append-only, so a fresh book needs a fresh database
(e.g. dropdb loanops, then seed again).
`;

const wholeNumber = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .refine(
      (value) => Number.isSafeInteger(value) && value >= min && value <= max,
      `--${name} must be between ${min} and ${max}`,
    );

const argsSchema = z.object({
  loans: wholeNumber('loans', 1, 20_000_000).default(10_000),
  seed: wholeNumber('seed', -(2 ** 31), 2 ** 31 - 1).default(DEFAULT_SEED),
  collectors: wholeNumber('collectors', 1, 1_000_000).optional(),
  append: z.boolean().default(false),
  help: z.boolean().default(false),
});

function parseCommandLine(): z.output<typeof argsSchema> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      options: {
        loans: { type: 'string' },
        seed: { type: 'string' },
        collectors: { type: 'string' },
        append: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 64);
  }
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) fail(`${parsed.error.issues.map((issue) => issue.message).join('\n')}\n${USAGE}`, 64);
  return parsed.data;
}

function fail(message: string, code: number): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(code);
}

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const count = (value: number): string => value.toLocaleString('en-IN');
const seconds = (ms: number): string => `${(ms / 1_000).toFixed(1)} s`;
const perSecond = (rows: number, ms: number): string => count(Math.round(rows / Math.max(ms / 1_000, 0.001)));

const args = parseCommandLine();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const config = loadConfigOrExit(cliConfigSchema);

const problem = await postgresProblem(config.DATABASE_URL);
if (problem) fail(problem, 69);
if (await ensureDatabaseExists(config.DATABASE_URL)) print(`created database ${describeUrl(config.DATABASE_URL)}`);

// Two connections: one holds the seed's transaction, the other reserves ids from the sequences.
const { db, pool, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 2, applicationName: 'loanops-seed' });
let exitCode = 0;
try {
  for (const line of await migrateToLatest(db)) print(line);

  const today = businessToday();
  print(
    `seeding ${count(args.loans)} loans into ${describeUrl(config.DATABASE_URL)} ` +
      `for business date ${today} (seed ${args.seed})`,
  );
  let lastReport = 0;
  // A line every two seconds or so; the summary below reports the end.
  const onProgress = (progress: SeedProgress): void => {
    if (progress.loans === progress.totalLoans || progress.elapsedMs - lastReport < 2_000) return;
    lastReport = progress.elapsedMs;
    const percent = ((100 * progress.loans) / Math.max(progress.totalLoans, 1)).toFixed(0).padStart(3);
    print(
      `  ${percent}%  ${count(progress.loans)} / ${count(progress.totalLoans)} loans  ${count(progress.rows)} rows  ` +
        `${perSecond(progress.rows, progress.elapsedMs)} rows/s  ${seconds(progress.elapsedMs)}`,
    );
  };
  const summary = await seedBook(pool, {
    loans: args.loans,
    seed: args.seed,
    today,
    bucketTable: config.BUCKET_TABLE,
    append: args.append,
    collectors: args.collectors,
    onProgress,
  });
  printSummary(summary);
} catch (error) {
  if (!(error instanceof BookNotEmptyError)) throw error;
  process.stderr.write(`refused: ${error.message}.\n${USAGE}`);
  exitCode = 1;
} finally {
  await close();
}
process.exitCode = exitCode;

function printSummary(summary: SeedSummary): void {
  const live = summary.loans - summary.closed;
  print();
  print(`seeded ${summary.firstLoanNumber} … ${summary.lastLoanNumber} in one transaction (run ${summary.runId})`);
  print(`  collectors      ${count(summary.collectors).padStart(12)}`);
  print(`  borrowers       ${count(summary.borrowers).padStart(12)}`);
  print(`  loans           ${count(summary.loans).padStart(12)}`);
  print(`    closed        ${count(summary.closed).padStart(12)}`);
  print(`    paid ahead    ${count(summary.paidAhead).padStart(12)}`);
  print(`    part-paid     ${count(summary.partiallyPaid).padStart(12)}  (an installment partly paid)`);
  print(`  installments    ${count(summary.installments).padStart(12)}`);
  print(`  bucket history  ${count(summary.bucketHistory).padStart(12)}`);
  print(`  live loans by bucket (${count(live)}):`);
  for (const [bucket, loans] of Object.entries(summary.buckets)) {
    const share = live > 0 ? ((100 * loans) / live).toFixed(1) : '0.0';
    print(`    ${bucket.padEnd(12)}  ${count(loans).padStart(12)}  ${share.padStart(5)}%`);
  }
  print(
    `  ${count(summary.rows)} rows in ${seconds(summary.elapsedMs)} (wall time), ` +
      `${perSecond(summary.rows, summary.elapsedMs)} rows/s; COPY busy ${seconds(summary.copyMs)}`,
  );
}
