import { cliConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, ensureDatabaseExists, migrateDownToEmpty, migrateToLatest, postgresProblem } from '@loanops/db';
import { describeUrl } from '@loanops/runtime';

/**
 * `npm run migrate` brings the schema to the newest migration (creating the database on a fresh
 * server); `npm run migrate -- --down` reverts every migration, for development only.
 */
const config = loadConfigOrExit(cliConfigSchema);
const down = process.argv.includes('--down');

const problem = await postgresProblem(config.DATABASE_URL);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(69);
}
if (await ensureDatabaseExists(config.DATABASE_URL)) {
  process.stdout.write(`created database ${describeUrl(config.DATABASE_URL)}\n`);
}
const { db, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 1, applicationName: 'loanops-migrate' });
try {
  if (down && config.NODE_ENV === 'production') throw new Error('refusing to migrate down with NODE_ENV=production');
  const lines = down ? await migrateDownToEmpty(db) : await migrateToLatest(db);
  for (const line of lines) process.stdout.write(`${line}\n`);
  process.stdout.write(lines.length === 0 ? 'schema is current\n' : 'done\n');
} catch (error) {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await close();
}
