import type { Kysely } from 'kysely';
import { z } from 'zod';
import { listAuditEntries } from '@loanops/audit';
import type { Database } from '@loanops/db';
import type { RouteRegistrar } from '../http/route.js';
import { parseInput } from '../http/validate.js';

export const auditQuery = z.strictObject({
  entityType: z.string().min(1).max(40).optional(),
  entityId: z.string().min(1).max(80).optional(),
  action: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an action like PAYMENT_POSTED').optional(),
  before: z.string().regex(/^[1-9]\d{0,15}$/, 'must be an audit entry id').transform(Number).optional(),
  limit: z.string().regex(/^\d+$/).transform(Number).refine((n) => n >= 1 && n <= 500, 'must be 1-500').default(100),
});

export function auditRoutes(route: RouteRegistrar, deps: { db: Kysely<Database> }): void {
  route('GET /v1/audit', async (req, res) => {
    const query = parseInput(auditQuery, req.query);
    const page = await listAuditEntries(deps.db, {
      entityType: query.entityType,
      entityId: query.entityId,
      action: query.action,
      beforeId: query.before,
      limit: query.limit,
    });
    res.json(page);
  });
}
