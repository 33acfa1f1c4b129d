import type { Response } from 'express';
import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import type { Database } from '@loanops/db';
import {
  CONTENT_TYPES,
  dpdRunsQuery,
  dpdRunsReport,
  efficiencyQuery,
  efficiencyReport,
  legalPipelineQuery,
  legalPipelineReport,
  portfolioQuery,
  portfolioReport,
  rollRateQuery,
  rollRateReport,
  writeReport,
  type PreparedReport,
  type ReportFormat,
} from '@loanops/reports';
import { coerceError } from '@loanops/runtime';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';

export interface ReportRoutesDeps {
  db: Kysely<Database>;
  bucketTable: BucketTable;
  now: () => Date;
}

/**
 * Streams a prepared report. Everything that can be refused (the query, the dates) has been
 * checked before the first byte; a failure after it can only cut the response short.
 */
export async function sendReport(res: Response, report: PreparedReport, format: ReportFormat): Promise<void> {
  res.status(200).type(CONTENT_TYPES[format]);
  if (format !== 'json') res.attachment(`${report.fileName}.${format}`);
  try {
    await writeReport(report.rows, report.columns, format, res, report.fileName);
  } catch (error) {
    res.req.log.error({ err: coerceError(error), report: report.fileName }, 'report failed while streaming');
    res.destroy();
  }
}

/** The reports for admin, ops and finance, each as `?format=json|csv|xlsx`. */
export function reportRoutes(route: RouteRegistrar, deps: ReportRoutesDeps): void {
  const context = () => ({ db: deps.db, bucketTable: deps.bucketTable, now: deps.now() });

  route('GET /v1/reports/portfolio-buckets', async (req, res) => {
    const query = parseInput(portfolioQuery, req.query);
    await sendReport(res, await portfolioReport(context(), query), query.format);
  });

  route('GET /v1/reports/roll-rates', async (req, res) => {
    const query = parseInput(rollRateQuery, req.query);
    await sendReport(res, await rollRateReport(context(), query), query.format);
  });

  route('GET /v1/reports/collection-efficiency', async (req, res) => {
    const query = parseInput(efficiencyQuery, req.query);
    await sendReport(res, await efficiencyReport(context(), query), query.format);
  });

  route('GET /v1/reports/dpd-runs', async (req, res) => {
    const query = parseInput(dpdRunsQuery, req.query);
    await sendReport(res, await dpdRunsReport(context(), query), query.format);
  });

  route('GET /v1/reports/legal-pipeline', async (req, res) => {
    const query = parseInput(legalPipelineQuery, req.query);
    await sendReport(res, await legalPipelineReport(context(), query), query.format);
  });
}
