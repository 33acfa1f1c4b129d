import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKET_TABLE, addDays, businessToday, classifyBorrowerLoans, daysPastDue } from '@loanops/domain';
import type { ChunkTask } from '@loanops/dpd';
import { acceptPayment, postPayment } from '@loanops/payments';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startTestWorker } from '../support/worker.js';
import { historyOf, loanWithDues, standingOf, startRun, waitForRunEnd } from './helpers.js';

/**
 * A payment posted on a loan while its chunk is at work leaves the loan with the DPD and bucket
 * its installments say, whichever commits first. The overlap is forced: the chunk is held inside
 * its transaction (after its locks) while the payment posts; and the payment is made to hold the
 * loan first while the chunk queues behind it.
 */
const today = businessToday();
const yesterday = addDays(today, -1);

interface Setup {
  database: TestDatabase;
  redis: TestRedis;
  worker: ReturnType<typeof startTestWorker>;
  loanId: number;
  intakeId: string;
}
let setup: Setup | undefined;
let onChunk: (task: ChunkTask) => Promise<void> = async () => undefined;

async function prepare(): Promise<Setup> {
  const database = await createTestDatabase();
  const redis = await createTestRedis();
  const worker = startTestWorker(database, redis.url, redis.prefix, {
    queues: ['dpd'],
    dpd: { hooks: { afterLock: (task) => onChunk(task) } },
  });
  // Two EMIs overdue (DPD 39 and SMA-1 as of yesterday, 40 today), one to come.
  const loanId = await loanWithDues(database, [addDays(today, -40), addDays(today, -10), addDays(today, 20)], yesterday);
  expect(await standingOf(database, loanId)).toMatchObject({ dpd: 39, bucket: 'SMA-1', dpd_as_of: yesterday });
  // The two overdue EMIs in full: the payment cures the loan.
  const { intakeId } = await acceptPayment(
    database.db,
    { utr: `OVERLAP${Date.now()}`.slice(0, 20), loanId, amountPaise: 220_000, valueDate: today, mode: 'UPI' },
    { receivedBy: 'finance:test', requestId: null, now: new Date() },
  );
  setup = { database, redis, worker, loanId, intakeId };
  return setup;
}

afterEach(async () => {
  onChunk = async () => undefined;
  if (!setup) return;
  await setup.worker.closeAll();
  await setup.redis.cleanup();
  await setup.database.drop();
  setup = undefined;
});

async function backendsWaitingOnLocks(database: TestDatabase): Promise<number> {
  const result = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(database.db);
  return result.rows[0]?.n ?? 0;
}

/** What the loan's installments say its standing is today. */
async function standingByInstallments(database: TestDatabase, loanId: number) {
  const installments = await database.db.selectFrom('installments').selectAll().where('loan_id', '=', loanId).execute();
  const dpd = daysPastDue(
    installments.map((inst) => ({ dueOn: inst.due_on, outstandingPaise: inst.outstanding_paise })),
    today,
  );
  const loan = await standingOf(database, loanId);
  const bucket = classifyBorrowerLoans([{ id: loanId, dpd, bucket: loan.bucket }], DEFAULT_BUCKET_TABLE).get(loanId);
  return { dpd, bucket };
}

const postingContext = () => ({ bucketTable: DEFAULT_BUCKET_TABLE, now: new Date(), actorId: 'test-payments' });

describe('a payment and a DPD chunk on the same loan', () => {
  it('chunk first: the payment waits for the chunk, then posts on top of its standing', async () => {
    const { database, redis, loanId, intakeId } = await prepare();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // The book has one borrower, so one chunk: the loan's.
    onChunk = async () => {
      holding();
      await gate;
    };

    const started = await startRun(database, redis.queues, today);
    await held;
    const posting = postPayment(database.db, intakeId, postingContext());
    await waitFor(async () => (await backendsWaitingOnLocks(database)) >= 1, { what: 'the payment to wait on the chunk' });
    release();
    const [outcome, run] = await Promise.all([posting, waitForRunEnd(database, started.run.id)]);

    expect(outcome).toMatchObject({ status: 'POSTED' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', dpdChanged: 1 });
    expect(await standingOf(database, loanId)).toMatchObject({ dpd: 0, bucket: 'CURRENT', dpd_as_of: today });
    expect(await standingOf(database, loanId)).toMatchObject(await standingByInstallments(database, loanId));
    expect(await historyOf(database, loanId)).toEqual([[today, 'SMA-1', 'CURRENT', 0, 'PAYMENT']]);
  });

  it('payment first: the chunk waits for the payment, then reads the installments it paid', async () => {
    const { database, redis, loanId, intakeId } = await prepare();
    // Something else holds the loan, so both queue behind it in a known order: payment, then chunk.
    const holder = await database.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM loans WHERE id = $1 FOR UPDATE', [loanId]);
      const posting = postPayment(database.db, intakeId, postingContext());
      await waitFor(async () => (await backendsWaitingOnLocks(database)) >= 1, { what: 'the payment to wait' });
      const started = await startRun(database, redis.queues, today);
      await waitFor(async () => (await backendsWaitingOnLocks(database)) >= 2, { what: 'the chunk to queue behind it' });
      await holder.query('COMMIT');
      const [outcome, run] = await Promise.all([posting, waitForRunEnd(database, started.run.id)]);

      expect(outcome).toMatchObject({ status: 'POSTED' });
      // The chunk saw the paid installments: nothing left for it to change.
      expect(run).toMatchObject({ status: 'SUCCEEDED', loansScanned: 1, dpdChanged: 0, bucketChanges: 0 });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    expect(await standingOf(database, loanId)).toMatchObject({ dpd: 0, bucket: 'CURRENT', dpd_as_of: today });
    expect(await standingOf(database, loanId)).toMatchObject(await standingByInstallments(database, loanId));
    expect(await historyOf(database, loanId)).toEqual([[today, 'SMA-1', 'CURRENT', 0, 'PAYMENT']]);
  });
});
