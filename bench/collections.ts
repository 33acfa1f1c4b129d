import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DEFAULT_DATABASE_URL } from '@loanops/config';
import {
  DEFAULT_RETRY_POLICY,
  allocateLoans,
  computeCollectorScores,
  deliverDueNotifications,
  logChannel,
  planReminders,
  resolveDuePromises,
  webhookChannel,
} from '@loanops/collections';
import { createDb, createPool, migrateToLatest } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, DEFAULT_SCORE_WEIGHTS, addDays, businessToday } from '@loanops/domain';
import { seedBook } from '@loanops/loan-book';
import { dropDatabase, fmt, freshDatabase } from './support.js';

/**
 * npm run bench:collections [-- --loans 200000 --keep]
 *
 * Seeds a demo book (loanops_bench_collections on DATABASE_URL's server), then times, once each,
 * on it: the day's reminder plan (every unpaid installment due in the next 3 days into the
 * outbox), the same plan again (finding nothing new), delivering the outbox through the log channel
 * (a silent logger: the cost is the outbox's), judging promises, scoring every collector over 30
 * days, the same score again (replacing it) and a bulk allocation by bucket and PIN-code prefix.
 */
const { values } = parseArgs({ options: { loans: { type: 'string', default: '200000' }, keep: { type: 'boolean', default: false } } });
const LOANS = Number(values.loans);
if (!Number.isSafeInteger(LOANS) || LOANS < 1) {
  process.stderr.write('usage: npm run bench:collections -- [--loans N] [--keep]\n');
  process.exit(64);
}
const NAME = 'loanops_bench_collections';
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const line = (text = '') => process.stdout.write(`${text}\n`);
const today = businessToday();

const url = await freshDatabase(serverUrl, NAME);
const { db, close } = createDb({ databaseUrl: url, poolMax: 4, applicationName: 'bench-collections' });
try {
  await migrateToLatest(db);
  const pool = createPool({ databaseUrl: url, poolMax: 2, applicationName: 'bench-collections-seed' });
  const seeded = await seedBook(pool, { loans: LOANS, seed: 1, today, bucketTable: DEFAULT_BUCKET_TABLE });
  await pool.end();
  line(`book: ${fmt(seeded.loans)} loans, ${fmt(seeded.installments)} installments, ${seeded.collectors} collectors (${today})`);

  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const result = await work();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    line(`${what.padEnd(44)} ${fmt(Math.round(ms)).padStart(8)} ms   ${JSON.stringify(result)}`);
    return result;
  };
  // Planned and sent as if at 10:00 IST today, within contact hours whenever the bench runs.
  const tenIst = new Date(`${today}T10:00:00+05:30`);
  const plan = { today, now: tenIst, installmentDaysBefore: 3, channel: 'log' as const, maxAttempts: 5 };
  await timed('plan reminders (installments due in 3 days)', () => planReminders(db, plan));
  await timed('plan reminders again (nothing new)', () => planReminders(db, plan));
  const logger = pino({ level: 'silent' });
  await timed('deliver the outbox (log channel)', () =>
    deliverDueNotifications(db, {
      channels: { log: logChannel(logger), webhook: webhookChannel(undefined, 1_000), legal: logChannel(logger) },
      policy: DEFAULT_RETRY_POLICY,
      borrowerMessagesEnabled: true,
      logger,
      now: () => tenIst,
      batchSize: 200,
    }),
  );
  await timed('judge promises due', () => resolveDuePromises(db, today, { type: 'system', id: 'bench' }));
  const scoring = { weights: DEFAULT_SCORE_WEIGHTS, bucketNames: DEFAULT_BUCKET_TABLE.map((bucket) => bucket.name) };
  await timed('score every collector (30 days)', () => computeCollectorScores(db, addDays(today, -1), scoring, { type: 'system', id: 'bench' }));
  await timed('score again (replaces)', () => computeCollectorScores(db, addDays(today, -1), scoring, { type: 'system', id: 'bench' }));
  const collector = await db.selectFrom('collectors').select('id').orderBy('id').executeTakeFirstOrThrow();
  await timed('allocate SMA-1 loans with PIN 1… to one collector', () =>
    allocateLoans(db, collector.id, { filter: { bucket: 'SMA-1', pinCodePrefix: '1' } }, { actor: { type: 'system', id: 'bench' }, requestId: null }),
  );
} finally {
  await close();
  if (!values.keep) await dropDatabase(serverUrl, NAME);
}
