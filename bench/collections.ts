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
import { createDb, createPool, migrateToLatest, type Database } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, DEFAULT_SCORE_WEIGHTS, SCORE_WINDOW_DAYS, addDays, businessToday } from '@loanops/domain';
import { seedBook } from '@loanops/loan-book';
import { allocateFloor, copyOutbox, deliverFloor, judgeFloor, planAgainFloor, planFloor, scoreFloor } from './floors/collections.js';
import { dropDatabase, floorTable, fmt, freshDatabase, measureFloor, timed, type Floor } from './support.js';

/**
 * npm run bench:collections [-- --loans 200000 --keep]
 *
 * Seeds a demo book (loanops_bench_collections on DATABASE_URL's server), then times, once each,
 * on it: the day's reminder plan (every unpaid installment due in the next 3 days into the
 * outbox), the same plan again (finding nothing new), delivering the outbox through the log channel
 * (a silent logger: the cost is the outbox's), judging promises, scoring every collector over 30
 * days, the same score again (replacing it) and a bulk allocation by bucket and PIN-code prefix.
 * Each step is printed beside its floor, measured in the same run right after it (before it for
 * allocation; see floors/collections.ts): the same rows handled by hand-written SQL doing the
 * least the step must.
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

  // Each step once, and right after it (right before it for allocation, whose rolled-back floor
  // needs the loans not yet moved) its floor: the least work the step must do, by hand in SQL.
  line();
  const row = floorTable(['result', 'floor: the same rows by hand'], line);
  const besideFloor = async <T>(step: string, work: () => Promise<T>, floor: Floor<Database, number>, floorDoes: string, floorFirst = false) => {
    const before = floorFirst ? await measureFloor(db, floor) : undefined;
    const measured = await timed(work);
    const after = before ?? (await measureFloor(db, floor));
    row({ step, seconds: measured.seconds, floorSeconds: after.seconds, cells: [JSON.stringify(measured.result), `${fmt(after.result)} rows: ${floorDoes}`] });
    return measured.result;
  };
  // Planned and sent as if at 10:00 IST today, within contact hours whenever the bench runs.
  const tenIst = new Date(`${today}T10:00:00+05:30`);
  const plan = { today, now: tenIst, installmentDaysBefore: 3, channel: 'log' as const, maxAttempts: 5 };
  await besideFloor(
    'plan reminders (installments due in 3 days)',
    () => planReminders(db, plan),
    planFloor(plan),
    'INSERT … SELECT of the due installments into an empty scratch outbox',
  );
  await besideFloor('plan reminders again (nothing new)', () => planReminders(db, plan), planAgainFloor(plan), 'the due installments read, each probed in the outbox');
  await copyOutbox(db);
  const logger = pino({ level: 'silent' });
  await besideFloor(
    'deliver the outbox (log channel)',
    () =>
      deliverDueNotifications(db, {
        channels: { log: logChannel(logger), webhook: webhookChannel(undefined, 1_000), legal: logChannel(logger) },
        policy: DEFAULT_RETRY_POLICY,
        borrowerMessagesEnabled: true,
        logger,
        now: () => tenIst,
        batchSize: 200,
      }),
    deliverFloor(tenIst),
    'one UPDATE … RETURNING marking a copy of the outbox SENT',
  );
  const actor = { type: 'system', id: 'bench' } as const;
  await besideFloor('judge promises due', () => resolveDuePromises(db, today, actor), judgeFloor(today), 'one UPDATE of the due promises, audited (rolled back)');
  const bucketNames = DEFAULT_BUCKET_TABLE.map((bucket) => bucket.name);
  const scoring = { weights: DEFAULT_SCORE_WEIGHTS, bucketNames };
  const scoreDate = addDays(today, -1);
  const scoredByHand = scoreFloor(scoreDate, { windowDays: SCORE_WINDOW_DAYS, bucketNames, weights: DEFAULT_SCORE_WEIGHTS });
  const scoreFloorDoes = "one INSERT … SELECT of the collectors' sums, replacing the date's rows (rolled back)";
  await besideFloor('score every collector (30 days)', () => computeCollectorScores(db, scoreDate, scoring, actor), scoredByHand, scoreFloorDoes);
  await besideFloor('score again (replaces)', () => computeCollectorScores(db, scoreDate, scoring, actor), scoredByHand, scoreFloorDoes);
  const collector = await db.selectFrom('collectors').select('id').orderBy('id').executeTakeFirstOrThrow();
  const target = { bucket: 'SMA-1', pinCodePrefix: '1' };
  await besideFloor(
    'allocate SMA-1 loans with PIN 1… to one collector',
    () => allocateLoans(db, collector.id, { filter: target }, { actor, requestId: null }),
    allocateFloor(collector.id, target),
    'one UPDATE of the matching loans, audited (rolled back, just before)',
    true,
  );
} finally {
  await close();
  if (!values.keep) await dropDatabase(serverUrl, NAME);
}
