import type { z } from 'zod';
import type { BucketTable } from '@loanops/domain';
import { loanEditSchema, newLoanSchema } from '@loanops/loan-book';
import { paymentRequestSchema, reversalRequestSchema } from '@loanops/payments';
import type { RouteKey } from '../http/access.js';
import { auditQuery } from '../routes/audit.js';
import { dpdRunListQuery, runParam, startBody } from '../routes/dpd-runs.js';
import { legalCaseListQuery } from '../routes/legal-cases.js';
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
  };
}
