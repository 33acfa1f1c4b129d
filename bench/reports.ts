import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL } from '@loanops/config';
import { createDb, migrateToLatest, type Database } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, addDays, businessToday } from '@loanops/domain';
import { runIntegrityCheck, type IntegrityCheck } from '@loanops/integrity';
import { seedBook } from '@loanops/loan-book';
import {
  dpdRunsReport,
  efficiencyReport,
  legalPipelineReport,
  portfolioReport,
  rollRateReport,
  writeReport,
  type PreparedReport,
  type ReportFormat,
} from '@loanops/reports';
import { dpdRunsFloor, efficiencyFloor, integrityFloor, legalPipelineFloor, portfolioFloor, rollRateFloor } from './floors/reports.js';
import { dropDatabase, floorTable, fmt, freshDatabase, measureFloor, timed, type Floor } from './support.js';

/**
 * npm run bench:reports [-- --loans 1000000 --keep]
 *
 * Seeds a book (loanops_bench_reports on DATABASE_URL's server) and times, on it, each report
 * written to a sink that only counts bytes (JSON, CSV and XLSX), then the whole integrity check,
 * followed by a row per check with its own time and findings. Printed per step: wall time beside
 * its floor (measured right after it in the same run: one hand-written query reading and grouping
 * the same rows, see floors/reports.ts) and their ratio, bytes written, and this process's peak
 * RSS so far (sampled every 20 ms), which says whether a report held the book in memory.
 */
const { values } = parseArgs({ options: { loans: { type: 'string', default: '1000000' }, keep: { type: 'boolean', default: false } } });
const LOANS = Number(values.loans);
if (!Number.isSafeInteger(LOANS) || LOANS < 1) {
  process.stderr.write('usage: npm run bench:reports -- [--loans N] [--keep]\n');
  process.exit(64);
}
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const NAME = 'loanops_bench_reports';
const line = (text = '') => process.stdout.write(`${text}\n`);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

function countingSink(): { stream: Writable; bytes: () => number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  return { stream, bytes: () => bytes };
}

async function report(prepare: () => Promise<PreparedReport>, format: ReportFormat): Promise<string> {
  const sink = countingSink();
  const prepared = await prepare();
  await writeReport(prepared.rows, prepared.columns, format, sink.stream);
  return `${fmt(sink.bytes())} bytes`;
}

const url = await freshDatabase(serverUrl, NAME);
const { db, pool, close } = createDb({ databaseUrl: url, poolMax: 4, applicationName: 'loanops-bench-reports' });
try {
  await migrateToLatest(db);
  const today = businessToday();
  line(`seeding ${fmt(LOANS)} loans…`);
  const seedStarted = performance.now();
  await seedBook(pool, { loans: LOANS, seed: 1, today, bucketTable: DEFAULT_BUCKET_TABLE });
  line(`seeded in ${fmt((performance.now() - seedStarted) / 1000, 1)} s; peak RSS after seeding ${fmt(peakRss / 1024 / 1024)} MB`);
  line();
  const row = floorTable(['floor: the same rows by hand', 'output', 'peak RSS so far'], line);
  /** Times a step, then its floor right after it (on the book the step leaves), and prints both. */
  const step = async (name: string, work: () => Promise<string>, floor: Floor<Database, number>, floorDoes: string) => {
    const measured = await timed(work);
    const rss = peakRss;
    const floorMeasured = await measureFloor(db, floor);
    row({
      step: name,
      seconds: measured.seconds,
      floorSeconds: floorMeasured.seconds,
      cells: [`${fmt(floorMeasured.result)} rows: ${floorDoes}`, measured.result, `${fmt(rss / 1024 / 1024)} MB`],
    });
  };
  const context = { db, bucketTable: DEFAULT_BUCKET_TABLE, now: new Date() };
  const portfolioDoes = 'one GROUP BY over loans';
  for (const format of ['json', 'csv', 'xlsx'] as const) {
    await step(`portfolio-buckets (${format})`, () => report(() => portfolioReport(context, { format, asOf: today }), format), portfolioFloor(today), portfolioDoes);
  }
  const rollFrom = addDays(today, -30);
  await step(
    'roll-rates, 30 days (json)',
    () => report(() => rollRateReport(context, { format: 'json', from: rollFrom, to: today }), 'json'),
    rollRateFloor(rollFrom, today),
    "each loan's last bucket on both dates (DISTINCT ON), grouped",
  );
  await step(
    'collection-efficiency by month and collector, 12 months (csv)',
    () => report(() => efficiencyReport(context, { format: 'csv', by: 'month-collector' }), 'csv'),
    efficiencyFloor(today),
    'one GROUP BY over the dues and payments of the months',
  );
  await step('dpd-runs (csv)', () => report(() => dpdRunsReport(context, { format: 'csv' }), 'csv'), dpdRunsFloor(today), 'one read of job_runs');
  await step(
    'legal-pipeline, all (xlsx)',
    () => report(() => legalPipelineReport(context, { format: 'xlsx', status: 'ALL' }), 'xlsx'),
    legalPipelineFloor(),
    'one read of the cases with their loans',
  );
  const checkTimes: { checks: readonly IntegrityCheck[]; seconds: number }[] = [];
  let checkCounts: Partial<Record<IntegrityCheck, number>> = {};
  await step(
    'integrity check (every check)',
    async () => {
      const { run } = await runIntegrityCheck(db, {
        trigger: 'MANUAL',
        actor: { type: 'system', id: 'bench' },
        bucketTable: DEFAULT_BUCKET_TABLE,
        onCheckTimed: (checks, seconds) => checkTimes.push({ checks, seconds }),
      });
      checkCounts = run.checks;
      return `${run.status}, ${run.findingsTotal} findings`;
    },
    integrityFloor(),
    'one pass over each table the checks read',
  );
  // The total broken down: one row per statement (LOAN_DPD and LOAN_BUCKET share one walk).
  for (const { checks, seconds } of checkTimes) {
    row({
      step: `… of which ${checks.join(' and ')}${checks.length > 1 ? ' (one walk)' : ''}`,
      seconds,
      floorSeconds: null,
      cells: ['', checks.map((check) => `${fmt(checkCounts[check] ?? 0)} findings`).join(', '), ''],
    });
  }
} finally {
  clearInterval(sampler);
  await close();
  if (!values.keep) await dropDatabase(serverUrl, NAME);
}
