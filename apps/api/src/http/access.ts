import type { Role } from '@loanops/db';

/**
 * Who may call what: the one table every /v1 route is registered from. A route missing here
 * cannot be registered (see route()).
 */
export const ROUTE_ROLES = {
  'POST /v1/loans': ['admin', 'ops'],
  'GET /v1/loans': ['admin', 'ops', 'finance', 'collector', 'legal'],
  'GET /v1/loans/:id': ['admin', 'ops', 'finance', 'collector', 'legal'],
  'PATCH /v1/loans/:id': ['admin', 'ops'],
  'GET /v1/loans/:id/edits/:editId': ['admin', 'ops'],
  'POST /v1/payments': ['admin', 'finance'],
  'GET /v1/payments': ['admin', 'finance', 'ops'],
  'GET /v1/payments/intake/:intakeId': ['admin', 'finance', 'ops'],
  'GET /v1/payments/:paymentId': ['admin', 'finance', 'ops'],
  'POST /v1/payments/:paymentId/reversal': ['admin', 'finance'],
  'GET /v1/audit': ['admin'],
  'POST /v1/admin/dpd-runs': ['admin'],
  'GET /v1/admin/dpd-runs': ['admin'],
  'GET /v1/admin/dpd-runs/:runId': ['admin'],
  'GET /v1/legal-cases': ['admin', 'legal'],
  'POST /v1/promises': ['admin', 'ops', 'collector'],
  'GET /v1/promises': ['admin', 'ops', 'collector'],
  'GET /v1/collectors': ['admin', 'ops'],
  'POST /v1/collectors/:id/allocations': ['admin', 'ops'],
  'GET /v1/collectors/scores': ['admin', 'ops'],
  'GET /v1/collectors/:id/scores': ['admin', 'ops', 'collector'],
  'GET /v1/reports/portfolio-buckets': ['admin', 'ops', 'finance'],
  'GET /v1/reports/roll-rates': ['admin', 'ops', 'finance'],
  'GET /v1/reports/collection-efficiency': ['admin', 'ops', 'finance'],
  'GET /v1/reports/dpd-runs': ['admin', 'ops', 'finance'],
  'GET /v1/reports/legal-pipeline': ['admin', 'ops', 'finance'],
  'GET /v1/admin/integrity-runs': ['admin'],
  'GET /v1/admin/integrity-runs/:runId': ['admin'],
  'POST /v1/reconciliations': ['admin', 'finance'],
  'GET /v1/reconciliations': ['admin', 'finance'],
  'GET /v1/reconciliations/:statementId': ['admin', 'finance'],
  'GET /v1/reconciliations/:statementId/items': ['admin', 'finance'],
  'POST /v1/admin/queues/:name/pause': ['admin'],
  'POST /v1/admin/queues/:name/resume': ['admin'],
  'GET /v1/admin/status': ['admin', 'ops'],
} as const satisfies Record<string, readonly Role[]>;

export type RouteKey = keyof typeof ROUTE_ROLES;

/**
 * Routes that change a loan through an edit: the financial guard runs before them and refuses any
 * request naming a protected field. A new edit route goes here as well as in ROUTE_ROLES.
 */
export const GUARDED_ROUTES: ReadonlySet<RouteKey> = new Set<RouteKey>(['PATCH /v1/loans/:id']);

/** The only /v1 routes served without a token. */
export const PUBLIC_ROUTES = ['POST /v1/auth/token'] as const;
