import type { Role } from '@loanops/db';

/**
 * Who may call what: the one table every /v1 route is registered from. A route missing here
 * cannot be registered (see route()).
 */
export const ROUTE_ROLES = {
  'POST /v1/loans': ['admin', 'ops'],
  'GET /v1/loans': ['admin', 'ops', 'finance', 'collector', 'legal'],
  'GET /v1/loans/:id': ['admin', 'ops', 'finance', 'collector', 'legal'],
  'POST /v1/payments': ['admin', 'finance'],
  'GET /v1/payments': ['admin', 'finance', 'ops'],
  'GET /v1/payments/intake/:intakeId': ['admin', 'finance', 'ops'],
  'GET /v1/payments/:paymentId': ['admin', 'finance', 'ops'],
  'POST /v1/payments/:paymentId/reversal': ['admin', 'finance'],
} as const satisfies Record<string, readonly Role[]>;

export type RouteKey = keyof typeof ROUTE_ROLES;
