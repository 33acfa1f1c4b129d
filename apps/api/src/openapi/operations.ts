import { z } from 'zod';
import type { BucketTable } from '@loanops/domain';
import { loanEditSchema, newLoanSchema } from '@loanops/loan-book';
import { paymentRequestSchema, reversalRequestSchema } from '@loanops/payments';
import type { RouteKey } from '../http/access.js';
import { auditQuery } from '../routes/audit.js';
import { dpdRunListQuery, runParam, startBody } from '../routes/dpd-runs.js';
import { dpdRunsQuery, efficiencyQuery, legalPipelineQuery, portfolioQuery, rollRateQuery } from '@loanops/reports';
import { queueNameParam, queueSwitchBody } from '../routes/admin-queues.js';
import { allocationBody, collectorParam, leaderboardQuery, scoreHistoryQuery } from '../routes/collectors.js';
import { integrityRunListQuery, integrityRunParam } from '../routes/integrity-runs.js';
import { legalCaseListQuery } from '../routes/legal-cases.js';
import { newPromise, promiseListQuery } from '../routes/promises.js';
import { statementImportQuery, statementItemsQuery, statementListQuery, statementParam } from '../routes/reconciliations.js';
import { editParams, idParam, listQuerySchema } from '../routes/loans.js';
import { intakeParam, paymentParam, searchQuery } from '../routes/payments.js';

/** What the document says of one route: the schemas its handler validates with, and its answer. */
export interface OperationSpec {
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success status and what it carries. */
  success: { status: number; description: string };
  /** Business-rule and conflict answers beyond the ones every route may give. */
  errors?: Record<number, string>;
}

/**
 * One entry per line of the role table (ROUTE_ROLES), typed so that a route cannot be added there
 * without being documented here. The schemas are the very ones the handlers parse with.
 */
export function routeOperations(settings: { bucketTable: BucketTable; pageMax: number }): Record<RouteKey, OperationSpec> {
  return {
    'POST /v1/loans': {
      summary: 'Create a loan (with its schedule, or an EMI schedule generated)',
      body: newLoanSchema,
      success: { status: 201, description: 'the loan as stored' },
      errors: { 409: 'DUPLICATE_LOAN_NUMBER', 422: 'a business rule refused it (e.g. DEGENERATE_SCHEDULE, COLLECTOR_NOT_FOUND)' },
    },
    'GET /v1/loans': {
      summary: 'List loans (a collector sees their own), keyset-paginated',
      query: listQuerySchema(settings.bucketTable, settings.pageMax),
      success: { status: 200, description: '{ items, nextCursor }' },
    },
    'GET /v1/loans/:id': {
      summary: 'One loan with its schedule, DPD and bucket',
      params: idParam,
      success: { status: 200, description: 'the loan' },
      errors: { 404: 'NOT_FOUND' },
    },
    'PATCH /v1/loans/:id': {
      summary: 'Edit contact data, collector, tags or notes (protected financial fields are refused)',
      params: idParam,
      body: loanEditSchema,
      success: { status: 202, description: '{ editId, status: RECEIVED }' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/loans/:id/edits/:editId': {
      summary: 'The state of an edit (RECEIVED, APPLIED, REJECTED)',
      params: editParams,
      success: { status: 200, description: 'the edit' },
      errors: { 404: 'NOT_FOUND' },
    },
    'POST /v1/payments': {
      summary: 'Record a repayment; posted by the payments worker',
      body: paymentRequestSchema,
      success: { status: 202, description: '{ intakeId, status: RECEIVED }' },
      errors: {
        409: 'DUPLICATE_UTR',
        422: 'BACKDATED_TOO_FAR, FUTURE_VALUE_DATE, AMOUNT_OUT_OF_RANGE, LOAN_NOT_PAYABLE, OVERPAYMENT, LOAN_NOT_FOUND',
      },
    },
    'GET /v1/payments': {
      summary: 'Find payments by UTR or loan',
      query: searchQuery,
      success: { status: 200, description: '{ items }' },
    },
    'GET /v1/payments/intake/:intakeId': {
      summary: 'The state of a payment request (RECEIVED, POSTED with paymentId, REJECTED with code)',
      params: intakeParam,
      success: { status: 200, description: 'the intake' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/payments/:paymentId': {
      summary: 'One payment with its allocations',
      params: paymentParam,
      success: { status: 200, description: 'the payment' },
      errors: { 404: 'NOT_FOUND' },
    },
    'POST /v1/payments/:paymentId/reversal': {
      summary: 'Reverse a bounced payment once',
      params: paymentParam,
      body: reversalRequestSchema,
      success: { status: 200, description: 'the payment, reversed' },
      errors: { 404: 'NOT_FOUND', 409: 'ALREADY_REVERSED' },
    },
    'GET /v1/audit': {
      summary: 'Audit entries with their place in the hash chain',
      query: auditQuery,
      success: { status: 200, description: '{ items }' },
    },
    'POST /v1/admin/dpd-runs': {
      summary: 'Start the DPD run of a business date (today or earlier, IST)',
      body: startBody,
      success: { status: 202, description: 'the run' },
      errors: { 409: 'DPD_RUN_EXISTS, DPD_RUN_SUPERSEDED', 422: 'FUTURE_BUSINESS_DATE' },
    },
    'GET /v1/admin/dpd-runs': {
      summary: 'DPD runs, newest first',
      query: dpdRunListQuery,
      success: { status: 200, description: '{ items, nextCursor }' },
    },
    'GET /v1/admin/dpd-runs/:runId': {
      summary: 'One DPD run',
      params: runParam,
      success: { status: 200, description: 'the run' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/legal-cases': {
      summary: 'Legal cases opened by escalation',
      query: legalCaseListQuery(settings.pageMax),
      success: { status: 200, description: '{ items, nextCursor }' },
    },
    'POST /v1/admin/queues/:name/pause': {
      summary: 'Kill switch: no worker takes new jobs of the queue until it is resumed (kept in Postgres, audited)',
      params: queueNameParam,
      body: queueSwitchBody,
      success: { status: 200, description: 'the queue control as recorded' },
      errors: { 404: 'NOT_FOUND (unknown queue)' },
    },
    'POST /v1/admin/queues/:name/resume': {
      summary: 'Resume a paused queue (audited)',
      params: queueNameParam,
      body: queueSwitchBody,
      success: { status: 200, description: 'the queue control as recorded' },
      errors: { 404: 'NOT_FOUND (unknown queue)' },
    },
    'GET /v1/admin/status': {
      summary: "Feature flags, each queue's state and counts, the last run of each scheduled job",
      success: { status: 200, description: 'the status' },
    },
    'POST /v1/promises': {
      summary: 'Record a promise to pay (a collector on their own loans); supersedes the open one',
      body: newPromise,
      success: { status: 201, description: 'the promise' },
      errors: { 404: 'NOT_FOUND', 422: 'PROMISE_AMOUNT_OUT_OF_RANGE, PROMISED_DATE_OUT_OF_RANGE, LOAN_NOT_PAYABLE' },
    },
    'GET /v1/promises': {
      summary: 'Promises to pay (a collector sees those on their loans), keyset-paginated',
      query: promiseListQuery(settings.pageMax),
      success: { status: 200, description: '{ items, nextCursor }' },
    },
    'GET /v1/collectors': {
      summary: 'Collectors with their live loans',
      success: { status: 200, description: '{ items }' },
    },
    'POST /v1/collectors/:id/allocations': {
      summary: 'Allocate loans to a collector, by list or by filter (audited)',
      params: collectorParam,
      body: z.union([allocationBody(settings.bucketTable).byList, allocationBody(settings.bucketTable).byFilter]),
      success: { status: 200, description: '{ collectorId, allocated, unchanged }' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/collectors/scores': {
      summary: "The collectors' leaderboard for a business date (default yesterday, IST)",
      query: leaderboardQuery,
      success: { status: 200, description: '{ businessDate, items }' },
    },
    'GET /v1/collectors/:id/scores': {
      summary: "One collector's daily scores (a collector: their own)",
      params: collectorParam,
      query: scoreHistoryQuery,
      success: { status: 200, description: '{ collectorId, items }' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/reports/portfolio-buckets': {
      summary: 'Portfolio by bucket (count, outstanding) as of a date; JSON, CSV or XLSX',
      query: portfolioQuery,
      success: { status: 200, description: 'the report, streamed' },
    },
    'GET /v1/reports/roll-rates': {
      summary: 'Roll-rate matrix between two dates from bucket history; JSON, CSV or XLSX',
      query: rollRateQuery,
      success: { status: 200, description: 'the report, streamed' },
    },
    'GET /v1/reports/collection-efficiency': {
      summary: 'Collection and billing efficiency by month and/or collector; JSON, CSV or XLSX',
      query: efficiencyQuery,
      success: { status: 200, description: 'the report, streamed' },
    },
    'GET /v1/reports/dpd-runs': {
      summary: 'DPD run history; JSON, CSV or XLSX',
      query: dpdRunsQuery,
      success: { status: 200, description: 'the report, streamed' },
    },
    'GET /v1/reports/legal-pipeline': {
      summary: 'The legal pipeline; JSON, CSV or XLSX',
      query: legalPipelineQuery,
      success: { status: 200, description: 'the report, streamed' },
    },
    'GET /v1/admin/integrity-runs': {
      summary: 'Data-integrity check runs, newest first',
      query: integrityRunListQuery,
      success: { status: 200, description: '{ items }' },
    },
    'GET /v1/admin/integrity-runs/:runId': {
      summary: 'One integrity run with the rows it found wrong',
      params: integrityRunParam,
      success: { status: 200, description: 'the run and its findings' },
      errors: { 404: 'NOT_FOUND' },
    },
    'POST /v1/reconciliations': {
      summary: 'Reconcile a bank statement (body text/csv; column layout in the query)',
      query: statementImportQuery,
      success: { status: 201, description: 'the statement with its counts per outcome' },
      errors: { 422: 'INVALID_STATEMENT (each wrong row with its row and column)' },
    },
    'GET /v1/reconciliations': {
      summary: 'Reconciled bank statements, newest first',
      query: statementListQuery,
      success: { status: 200, description: '{ items }' },
    },
    'GET /v1/reconciliations/:statementId': {
      summary: 'One reconciled statement with its counts',
      params: statementParam,
      success: { status: 200, description: 'the statement' },
      errors: { 404: 'NOT_FOUND' },
    },
    'GET /v1/reconciliations/:statementId/items': {
      summary: "A statement's matched and unmatched items; JSON, CSV or XLSX",
      params: statementParam,
      query: statementItemsQuery,
      success: { status: 200, description: 'the items, streamed' },
      errors: { 404: 'NOT_FOUND' },
    },
  };
}
