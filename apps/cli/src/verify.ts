import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, postgresProblem } from '@loanops/db';
import { runIntegrityCheck } from '@loanops/integrity';

/**
 * npm run verify [-- --json] — runs every data-integrity check over the book, stores the run with
 * its findings (GET /v1/admin/integrity-runs/:id), and prints what it found, naming each wrong
 * row. Exit status 0 when the book is clean, 1 when anything was found.
 */
const config = loadConfigOrExit(cliConfigSchema);
const json = process.argv.includes('--json');
const problem = await postgresProblem(config.DATABASE_URL);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(69);
}
const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 2, applicationName: 'loanops-verify' });
try {
  const { run, findings } = await runIntegrityCheck(db, {
    trigger: 'MANUAL',
    actor: { type: 'system', id: 'cli-verify' },
    bucketTable: config.BUCKET_TABLE,
  });
  if (json) {
    process.stdout.write(`${JSON.stringify({ run, findings }, null, 2)}\n`);
  } else {
    const lines = [`integrity run ${run.id}: ${run.status === 'CLEAN' ? 'the book is clean' : `${run.findingsTotal} wrong rows`}`];
    for (const [check, count] of Object.entries(run.checks)) lines.push(`  ${check.padEnd(26)} ${count}`);
    for (const finding of findings) {
      lines.push(`${finding.check} ${finding.table} ${finding.rowId}: ${finding.message}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (run.status !== 'CLEAN') process.exitCode = 1;
} finally {
  await close();
}
