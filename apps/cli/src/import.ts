import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, isSchemaCurrent, postgresProblem } from '@loanops/db';
import { LoanOpsError, businessToday } from '@loanops/domain';
import { formatIssue, importBook, type ImportReport } from '@loanops/loan-book';

/**
 * npm run import -- book.xlsx | book.csv [--schedule schedule.csv] [--skip-invalid] [--dry-run] [--json]
 *
 * Exit status: 0 imported (or, with --dry-run, the file is good); 65 the file has errors and
 * nothing was imported; 64 bad arguments; 69 Postgres unavailable or its schema behind;
 * 78 bad configuration; 1 anything unexpected (nothing was imported either).
 */

const EXIT = { ok: 0, unexpected: 1, usage: 64, dataError: 65, unavailable: 69 } as const;

const USAGE = `usage: npm run import -- <book.xlsx | book.csv> [options]

  --schedule <file.csv>  schedules of a CSV book (an xlsx book has a sheet named "schedule")
  --skip-invalid         import the valid rows and list the invalid ones (default: import nothing if any row is invalid)
  --dry-run              check the whole file, import nothing
  --json                 print the report as JSON
  --help                 this text

The file layout is in docs/import-format.md.
`;

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let args: ReturnType<typeof parseCommandLine>;
function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: {
      schedule: { type: 'string' },
      'skip-invalid': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}
try {
  args = parseCommandLine();
} catch (error) {
  fail(EXIT.usage, `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
}
if (args.values.help) {
  out(USAGE);
  process.exit(EXIT.ok);
}
const [file, ...extra] = args.positionals;
if (file === undefined || extra.length > 0) fail(EXIT.usage, USAGE);

const config = loadConfigOrExit(cliConfigSchema);
const problem = await postgresProblem(config.DATABASE_URL);
if (problem) fail(EXIT.unavailable, problem);

const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 2, applicationName: 'loanops-import' });
let status: number;
try {
  if (await isSchemaCurrent(db)) status = await runImport(file);
  else {
    process.stderr.write('The database schema is behind this build; run `npm run migrate` first.\n');
    status = EXIT.unavailable;
  }
} catch (error) {
  // Unexpected: the import's transaction rolled back, so the book is as it was.
  const reason =
    error instanceof LoanOpsError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`import failed, nothing was imported: ${reason}\n`);
  status = EXIT.unexpected;
} finally {
  await close();
}
process.exit(status);

async function runImport(file: string): Promise<number> {
  const requestId = `import-${randomUUID()}`;
  const showProgress = !args.values.json && process.stderr.isTTY;
  const report = await importBook(db, {
    file: path.resolve(file),
    scheduleFile: args.values.schedule === undefined ? undefined : path.resolve(args.values.schedule),
    skipInvalid: args.values['skip-invalid'],
    dryRun: args.values['dry-run'],
    today: businessToday(),
    bucketTable: config.BUCKET_TABLE,
    actor: { type: 'system', id: 'import' },
    requestId,
    onProgress: showProgress
      ? (progress) => process.stderr.write(`\r${progress.phase} ${progress.rows.toLocaleString('en-IN')} rows…   `)
      : undefined,
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  if (args.values.json) out(JSON.stringify({ ...report, requestId }, null, 2));
  else printReport(report, requestId);
  return report.outcome === 'REJECTED' ? EXIT.dataError : EXIT.ok;
}

function printReport(report: ImportReport, requestId: string): void {
  const n = (value: number) => value.toLocaleString('en-IN');
  const count = (value: number, word: string) => `${n(value)} ${word}${value === 1 ? '' : 's'}`;
  const { rows } = report;
  out(`${path.basename(report.file)}${report.scheduleFile ? ` (schedule: ${path.basename(report.scheduleFile)})` : ''}`);
  out(`  rows read          ${n(rows.read)}`);
  out(`  valid              ${n(rows.valid)}`);
  out(`  invalid            ${n(rows.invalid)}`);
  out(`  already in book    ${n(rows.alreadyInBook)}`);
  out(`  imported           ${n(rows.imported)}`);
  if (report.scheduleRows > 0) out(`  schedule rows      ${n(report.scheduleRows)}`);
  out(`  took               ${(report.durationMs / 1000).toFixed(1)} s`);
  if (report.ignoredColumns.length > 0) {
    out(`  ignored columns    ${report.ignoredColumns.map((ignored) => `${ignored.column} (${ignored.sheet})`).join(', ')}`);
  }

  const problems = count(report.issueCount, 'problem');
  switch (report.outcome) {
    case 'IMPORTED':
      out(
        rows.imported > 0
          ? `Imported ${count(rows.imported, 'loan')} (audit request id ${requestId}).`
          : 'Nothing new to import: the book already has every valid loan of the file.',
      );
      if (report.issueCount > 0) out(`Skipped ${count(rows.invalid, 'invalid row')} (--skip-invalid), ${problems}:`);
      break;
    case 'CHECKED':
      out(
        report.issueCount > 0
          ? `Dry run: ${count(rows.valid, 'row')} would be imported and ${count(rows.invalid, 'row')} skipped, ${problems}:`
          : `Dry run: the file is good, ${count(rows.valid, 'row')} would be imported.`,
      );
      break;
    case 'REJECTED':
      out(
        rows.valid > 0 && report.issueCount > 0
          ? `Nothing was imported: ${problems} (fix them, or run again with --skip-invalid to import the ${count(rows.valid, 'valid row')}).`
          : `Nothing was imported: ${problems}.`,
      );
      break;
  }
  for (const issue of report.issues) out(formatIssue(issue));
  if (report.issueCount > report.issues.length) out(`… and ${n(report.issueCount - report.issues.length)} more`);
}
