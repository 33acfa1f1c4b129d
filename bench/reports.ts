import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL } from '@loanops/config';
import { createDb, migrateToLatest } from '@loanops/db';
import { DEFAULT_BUCKET_TABLE, addDays, businessToday } from '@loanops/domain';
import { runIntegrityCheck } from '@loanops/integrity';
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
import { dropDatabase, fmt, freshDatabase } from './support.js';

/**
 * npm run bench:reports [-- --loans 1000000 --keep]
 *
 * Seeds a book (loanops_bench_reports on DATABASE_URL's server) and times, on it, each report
 * written to a sink that only counts bytes (JSON, CSV and XLSX), then the whole integrity check.
 * Printed per step: wall time, bytes written, and this process's peak RSS so far (sampled every
 * 20 ms), which says whether a report held the book in memory.
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

async function step(name: string, work: () => Promise<string>): Promise<void> {
  const started = performance.now();
  const detail = await work();
  const seconds = (performance.now() - started) / 1000;
  line(`| ${name} | ${fmt(seconds, 2)} s | ${detail} | ${fmt(peakRss / 1024 / 1024)} MB |`);
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
  line('| step | wall time | output | peak RSS so far |');
  line('| --- | --- | --- | --- |');
  const context = { db, bucketTable: DEFAULT_BUCKET_TABLE, now: new Date() };
  for (const format of ['json', 'csv', 'xlsx'] as const) {
    await step(`portfolio-buckets (${format})`, () => report(() => portfolioReport(context, { format, asOf: today }), format));
  }
  await step('roll-rates, 30 days (json)', () => report(() => rollRateReport(context, { format: 'json', from: addDays(today, -30), to: today }), 'json'));
  await step('collection-efficiency by month and collector, 12 months (csv)', () =>
    report(() => efficiencyReport(context, { format: 'csv', by: 'month-collector' }), 'csv'),
  );
  await step('dpd-runs (csv)', () => report(() => dpdRunsReport(context, { format: 'csv' }), 'csv'));
  await step('legal-pipeline, all (xlsx)', () => report(() => legalPipelineReport(context, { format: 'xlsx', status: 'ALL' }), 'xlsx'));
  await step('integrity check (every check)', async () => {
    const { run } = await runIntegrityCheck(db, { trigger: 'MANUAL', actor: { type: 'system', id: 'bench' }, bucketTable: DEFAULT_BUCKET_TABLE });
    return `${run.status}, ${run.findingsTotal} findings`;
  });
} finally {
  clearInterval(sampler);
  await close();
  if (!values.keep) await dropDatabase(serverUrl, NAME);
}
