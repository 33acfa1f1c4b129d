import { sealAuditChain, verifyAuditChain } from '@loanops/audit';
import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, postgresProblem } from '@loanops/db';

/**
 * npm run audit:verify — seals what can be sealed, then walks the whole audit chain and names the
 * first entry that does not match. Exit status 0 when the chain verifies, 1 when it does not.
 */
const config = loadConfigOrExit(cliConfigSchema);
const problem = await postgresProblem(config.DATABASE_URL);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(69);
}
const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 2, applicationName: 'loanops-audit-verify' });
try {
  let sealed = 0;
  for (let count = -1; count !== 0; ) {
    count = await sealAuditChain(db);
    sealed += count;
  }
  const report = await verifyAuditChain(db);
  if (report.ok) {
    process.stdout.write(
      `audit chain verifies: ${report.checked} entries checked${sealed ? ` (${sealed} sealed now)` : ''}, ${report.pending} too recent to seal\n`,
    );
  } else {
    process.stdout.write(`AUDIT CHAIN BROKEN after ${report.checked} good entries: ${report.problem?.message}\n`);
    process.exitCode = 1;
  }
} finally {
  await close();
}
