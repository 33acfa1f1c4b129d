import { spawn, type ChildProcess } from 'node:child_process';
import { createUser, signAccessToken } from '@loanops/auth';
import { apiConfigSchema, loadConfigOrExit } from '@loanops/config';
import { createDb, ensureDatabaseExists, migrateToLatest, postgresProblem } from '@loanops/db';
import { businessToday } from '@loanops/domain';
import { seedBook } from '@loanops/loan-book';
import { describeUrl, redisProblem } from '@loanops/runtime';

/**
 * `npm run demo`: migrates (creating the database when needed), seeds a demo book when the book is
 * empty, then runs the API and a worker serving every queue until Ctrl-C, and prints where to look.
 */
const DEMO_LOANS = 20_000;
/** The queue console's sign-in for the demo book only (never made with NODE_ENV=production). */
const DEMO_ADMIN = { email: 'admin@demo.loanops.in', password: 'demo-admin-password' };
const config = loadConfigOrExit(apiConfigSchema);
const say = (line = '') => process.stdout.write(`${line}\n`);

for (const problem of [await postgresProblem(config.DATABASE_URL), await redisProblem(config.REDIS_URL)]) {
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(69);
  }
}

if (await ensureDatabaseExists(config.DATABASE_URL)) say(`created database ${describeUrl(config.DATABASE_URL)}`);
const { db, pool, close } = createDb({ databaseUrl: config.DATABASE_URL, poolMax: 4, applicationName: 'loanops-demo' });
try {
  for (const line of await migrateToLatest(db)) say(line);
  const loans = await db.selectFrom('loans').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(loans.n) === 0) {
    say(`seeding a demo book of ${DEMO_LOANS.toLocaleString('en-IN')} loans…`);
    const summary = await seedBook(pool, { loans: DEMO_LOANS, seed: 1, today: businessToday(), bucketTable: config.BUCKET_TABLE });
    say(`seeded ${summary.loans} loans: ${Object.entries(summary.buckets).map(([bucket, n]) => `${bucket} ${n}`).join(', ')}`);
  } else {
    say(`the book already has ${Number(loans.n).toLocaleString('en-IN')} loans; not seeding`);
  }
  const admin = await db.selectFrom('users').select('id').where('email', '=', DEMO_ADMIN.email).executeTakeFirst();
  if (!admin && config.NODE_ENV !== 'production') {
    await createUser(
      db,
      { email: DEMO_ADMIN.email, displayName: 'Demo admin', role: 'admin', password: DEMO_ADMIN.password },
      { type: 'system', id: 'demo' },
    );
    say(`created the demo admin ${DEMO_ADMIN.email} for the queue console`);
  }
} finally {
  await close();
}

const children: ChildProcess[] = [];
const start = (label: string, script: string, args: string[] = []) => {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit', env: process.env });
  child.on('exit', (code, signal) => {
    say(`${label} exited (${signal ?? code})`);
    for (const other of children) if (other.exitCode === null) other.kill('SIGTERM');
    process.exitCode = code ?? 0;
  });
  children.push(child);
};
start('api', 'apps/api/src/main.ts');
start('worker', 'apps/worker/src/main.ts');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });
}

const base = `http://localhost:${config.PORT}`;
const token = await signAccessToken({ sub: 'demo-admin', role: 'admin' }, config.JWT_SECRET, 12 * 3600);
say();
say(`LoanOps is starting: API ${base}   health ${base}/healthz`);
say('An admin token for the next 12 hours (npm run token -- --role finance mints others):');
say(`  export TOKEN=${token}`);
say(`  curl -s -H "Authorization: Bearer $TOKEN" '${base}/v1/loans?bucket=SMA-1&limit=3'`);
say(`  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -X POST ${base}/v1/payments \\`);
say(`       -d '{"utr":"DEMO000000000001","loanNumber":"LN0000001","amountPaise":100000,"valueDate":"${businessToday()}","mode":"UPI"}'`);
if (config.NODE_ENV !== 'production') {
  say(`Queues: ${base}/admin/queues (sign in as ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password})   API docs: ${base}/docs`);
}
say('Ctrl-C stops everything.');
say();
