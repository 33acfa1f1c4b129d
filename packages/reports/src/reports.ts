import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ValidationError, addMonths, businessToday, isBusinessDate, type BucketTable, type BusinessDate } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { REPORT_FORMATS, type ReportColumn, type ReportFormat } from './output.js';
import {
  bucketOrder,
  efficiencyRow,
  portfolioRows,
  rollRateKeys,
  rollRateRows,
  type EfficiencyRow,
  type PortfolioRow,
  type RollRateRow,
} from './shape.js';
import { portfolioCells, rollCells } from './sql/book-as-of.js';
import { efficiencyCells } from './sql/efficiency.js';
import { dpdRunRows, legalPipelineRows, type DpdRunRow, type LegalPipelineRow } from './sql/listings.js';

/**
 * The reports: each names its query (validated, every wrong field named), its columns, and how its
 * rows are read. A report is rows and columns; output.ts writes them as JSON, CSV or XLSX.
 */

export interface ReportContext {
  db: Kysely<Database>;
  bucketTable: BucketTable;
  now: Date;
}

export interface PreparedReport {
  /** File name without extension, e.g. `portfolio-buckets-2026-07-01`. */
  fileName: string;
  columns: readonly ReportColumn[];
  rows: AsyncIterable<object>;
}

const format = z.enum(REPORT_FORMATS, { error: `must be one of ${REPORT_FORMATS.join(', ')}` }).default('json');
const date = z
  .string()
  .refine(isBusinessDate, 'must be a date written YYYY-MM-DD')
  .refine((value) => value >= '1900-01-01', 'must be 1900-01-01 or later');

/** from ≤ to when both are given, named on `from`. */
function range<S extends z.ZodObject<{ from: z.ZodType<string | undefined>; to: z.ZodType<string | undefined> }>>(schema: S) {
  return schema.superRefine((value, ctx) => {
    const { from, to } = value as { from?: string; to?: string };
    if (from !== undefined && to !== undefined && from > to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (${to})` });
    }
  });
}

async function* fromArray<Row>(rows: readonly Row[]): AsyncGenerator<Row> {
  for (const row of rows) yield row;
}

const asRecords = <Row extends object>(columns: readonly ReportColumn<Row>[]) => columns as unknown as readonly ReportColumn[];

export const portfolioQuery = z.strictObject({ format, asOf: date.optional() });
const portfolioColumns: readonly ReportColumn<PortfolioRow>[] = [
  { key: 'asOf', header: 'As of', kind: 'date' },
  { key: 'bucket', header: 'Bucket', kind: 'text' },
  { key: 'loans', header: 'Loans', kind: 'integer' },
  { key: 'loansPct', header: '% of loans', kind: 'percent' },
  { key: 'principalOutstandingPaise', header: 'Principal outstanding', kind: 'paise' },
  { key: 'principalPct', header: '% of principal', kind: 'percent' },
  { key: 'totalOutstandingPaise', header: 'Total outstanding', kind: 'paise' },
];

export const rollRateQuery = range(z.strictObject({ format, from: date, to: date.optional() }));

export const efficiencyQuery = range(
  z.strictObject({
    format,
    from: date.optional(),
    to: date.optional(),
    by: z.enum(['month', 'collector', 'month-collector'], { error: 'must be month, collector or month-collector' }).default('month-collector'),
  }),
);
const efficiencyColumns: readonly ReportColumn<EfficiencyRow>[] = [
  { key: 'month', header: 'Month', kind: 'text' },
  { key: 'collectorCode', header: 'Collector', kind: 'text' },
  { key: 'collectorName', header: 'Collector name', kind: 'text' },
  { key: 'loans', header: 'Loans', kind: 'integer' },
  { key: 'demandPaise', header: 'Fell due', kind: 'paise' },
  { key: 'collectedPaise', header: 'Collected', kind: 'paise' },
  { key: 'collectedAgainstDemandPaise', header: 'Collected against the month’s dues', kind: 'paise' },
  { key: 'collectionEfficiencyPct', header: 'Collection efficiency %', kind: 'percent' },
  { key: 'billingEfficiencyPct', header: 'Billing efficiency %', kind: 'percent' },
];

export const dpdRunsQuery = range(z.strictObject({ format, from: date.optional(), to: date.optional() }));
const dpdRunColumns: readonly ReportColumn<DpdRunRow>[] = [
  { key: 'id', header: 'Run', kind: 'integer' },
  { key: 'businessDate', header: 'Business date', kind: 'date' },
  { key: 'trigger', header: 'Trigger', kind: 'text' },
  { key: 'triggeredBy', header: 'Started by', kind: 'text' },
  { key: 'status', header: 'Status', kind: 'text' },
  { key: 'startedAt', header: 'Started at (UTC)', kind: 'text' },
  { key: 'finishedAt', header: 'Finished at (UTC)', kind: 'text' },
  { key: 'chunksTotal', header: 'Chunks', kind: 'integer' },
  { key: 'loansScanned', header: 'Loans scanned', kind: 'integer' },
  { key: 'dpdChanged', header: 'DPD changed', kind: 'integer' },
  { key: 'bucketChanges', header: 'Bucket changes', kind: 'integer' },
  { key: 'escalations', header: 'Escalations', kind: 'integer' },
  { key: 'error', header: 'Error', kind: 'text' },
];

export const legalPipelineQuery = z.strictObject({
  format,
  status: z.enum(['OPEN', 'CLOSED', 'ALL'], { error: 'must be OPEN, CLOSED or ALL' }).default('OPEN'),
});
const legalColumns: readonly ReportColumn<LegalPipelineRow>[] = [
  { key: 'id', header: 'Case', kind: 'integer' },
  { key: 'caseStatus', header: 'Case status', kind: 'text' },
  { key: 'openedOn', header: 'Opened on', kind: 'date' },
  { key: 'daysOpen', header: 'Days open', kind: 'integer' },
  { key: 'loanNumber', header: 'Loan', kind: 'text' },
  { key: 'loanStatus', header: 'Loan status', kind: 'text' },
  { key: 'borrowerName', header: 'Borrower', kind: 'text' },
  { key: 'collectorCode', header: 'Collector', kind: 'text' },
  { key: 'dpdAtOpening', header: 'DPD at opening', kind: 'integer' },
  { key: 'outstandingAtOpeningPaise', header: 'Outstanding at opening', kind: 'paise' },
  { key: 'dpd', header: 'DPD now', kind: 'integer' },
  { key: 'bucket', header: 'Bucket now', kind: 'text' },
  { key: 'totalOutstandingPaise', header: 'Outstanding now', kind: 'paise' },
  { key: 'closedOn', header: 'Closed on', kind: 'date' },
  { key: 'closedReason', header: 'Closed because', kind: 'text' },
];

export type ReportName = 'portfolio-buckets' | 'roll-rates' | 'collection-efficiency' | 'dpd-runs' | 'legal-pipeline';

/** Today (IST) by default; a date after today is refused, naming the field. */
function notAfterToday(value: BusinessDate | undefined, field: string, today: BusinessDate): BusinessDate {
  if (value === undefined) return today;
  if (value > today) throw new ValidationError([{ path: field, message: `must not be after today (${today})` }]);
  return value;
}

function fromNotAfterTo(from: BusinessDate, to: BusinessDate): void {
  if (from > to) throw new ValidationError([{ path: 'from', message: `must not be after to (${to})` }]);
}

/** Portfolio by bucket at the end of `asOf` (default today). */
export async function portfolioReport(context: ReportContext, query: z.output<typeof portfolioQuery>): Promise<PreparedReport> {
  const today = businessToday(context.now);
  const asOf = notAfterToday(query.asOf, 'asOf', today);
  const rows = portfolioRows(asOf, await portfolioCells(context.db, asOf), context.bucketTable);
  return { fileName: `portfolio-buckets-${asOf}`, columns: asRecords(portfolioColumns), rows: fromArray(rows) };
}

/** The roll-rate matrix between `from` and `to` (default today). */
export async function rollRateReport(context: ReportContext, query: z.output<typeof rollRateQuery>): Promise<PreparedReport> {
  const today = businessToday(context.now);
  const to = notAfterToday(query.to, 'to', today);
  fromNotAfterTo(query.from, to);
  const cells = await rollCells(context.db, query.from, to);
  const buckets = bucketOrder(context.bucketTable, cells.flatMap((cell) => [cell.fromBucket, cell.toBucket]));
  const columns: ReportColumn<RollRateRow>[] = [
    { key: 'from', header: 'From date', kind: 'date' },
    { key: 'to', header: 'To date', kind: 'date' },
    { key: 'fromBucket', header: 'Bucket on from date', kind: 'text' },
    { key: 'loans', header: 'Loans', kind: 'integer' },
    { key: 'amountPaise', header: 'Outstanding on from date', kind: 'paise' },
    ...rollRateKeys(buckets),
  ];
  return {
    fileName: `roll-rates-${query.from}-${to}`,
    columns: asRecords(columns),
    rows: fromArray(rollRateRows(query.from, to, cells, buckets)),
  };
}

/** Collection and billing efficiency; by default the last twelve calendar months to today. */
export async function efficiencyReport(context: ReportContext, query: z.output<typeof efficiencyQuery>): Promise<PreparedReport> {
  const today = businessToday(context.now);
  const to = query.to ?? today;
  const from = query.from ?? addMonths(`${to.slice(0, 7)}-01`, -11);
  fromNotAfterTo(from, to);
  const cells = await efficiencyCells(context.db, { from, to }, query.by);
  const columns = efficiencyColumns.filter(
    (column) =>
      (query.by !== 'month' || (column.key !== 'collectorCode' && column.key !== 'collectorName')) &&
      (query.by !== 'collector' || column.key !== 'month'),
  );
  return { fileName: `collection-efficiency-${from}-${to}`, columns: asRecords(columns), rows: fromArray(cells.map(efficiencyRow)) };
}

/** Every DPD run with a business date in the range (default: all). */
export async function dpdRunsReport(context: ReportContext, query: z.output<typeof dpdRunsQuery>): Promise<PreparedReport> {
  const from = query.from ?? '1980-01-01';
  const to = query.to ?? businessToday(context.now);
  fromNotAfterTo(from, to);
  return { fileName: `dpd-runs-${from}-${to}`, columns: asRecords(dpdRunColumns), rows: dpdRunRows(context.db, { from, to }) };
}

/** Legal cases with their loans as they stand now. */
export async function legalPipelineReport(context: ReportContext, query: z.output<typeof legalPipelineQuery>): Promise<PreparedReport> {
  const today = businessToday(context.now);
  return {
    fileName: `legal-pipeline-${query.status.toLowerCase()}-${today}`,
    columns: asRecords(legalColumns),
    rows: legalPipelineRows(context.db, { status: query.status, today }),
  };
}

export type { ReportFormat };
