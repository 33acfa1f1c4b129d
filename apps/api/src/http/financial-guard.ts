import type { NextFunction, Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { LoanOpsError, findProtectedFields } from '@loanops/domain';
import { recordAudit, type Database } from '@loanops/db';
import type { Alerter, Metrics } from '@loanops/observability';
import { coerceError } from '@loanops/runtime';
import { principalOf } from './auth.js';

export class FinancialFieldProtectedError extends LoanOpsError {
  constructor(readonly fields: readonly string[]) {
    super('FINANCIAL_FIELD_PROTECTED', `these fields cannot be edited: ${fields.join(', ')}`, {
      status: 403,
      details: { fields },
    });
    this.name = 'FinancialFieldProtectedError';
  }
}

/** Waits between attempts at the guard's audit entry while Postgres is away (a restart takes seconds). */
export const GUARD_AUDIT_RETRY_MS: readonly number[] = [100, 250, 500, 1_000, 2_000, 4_000];

/**
 * Runs before every edit route (GUARDED_ROUTES): a request naming any protected field, at any depth
 * and in any letter case, is refused whole with 403 FINANCIAL_FIELD_PROTECTED listing the fields,
 * before anything is parsed or stored. The attempt is logged at warn with the user and the fields,
 * audited, counted and alerted.
 */
export function financialGuard(deps: { db: Kysely<Database>; metrics: Metrics; alerter: Alerter; auditRetryMs?: readonly number[] }) {
  const retries = deps.auditRetryMs ?? GUARD_AUDIT_RETRY_MS;
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const fields = findProtectedFields(req.body);
    if (fields.length === 0) {
      next();
      return;
    }
    const principal = principalOf(req);
    const route = `${req.method} ${req.baseUrl}${String((req.route as { path?: unknown } | undefined)?.path ?? req.path)}`;
    req.log.warn({ user: principal.sub, role: principal.role, fields, route }, 'financial guard refused an edit');
    deps.metrics.guardTriggers.inc({ route });
    deps.alerter.alert('financial-guard-triggered', `${principal.role} ${principal.sub} tried to edit ${fields.join(', ')}`, {
      user: principal.sub,
      role: principal.role,
      route,
      path: req.path,
      fields,
      requestId: req.requestId,
    });
    // The attempt is audited even when Postgres is restarting: the write is tried again for a few
    // seconds before the refusal goes out without it. The refusal stands either way; the log line
    // and the alert above already carry it.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await recordAudit(deps.db, {
          actor: { type: 'user', id: principal.sub, role: principal.role },
          action: 'FINANCIAL_GUARD_TRIGGERED',
          entityType: typeof req.params.id === 'string' ? 'loan' : 'request',
          entityId: typeof req.params.id === 'string' ? req.params.id : req.path,
          requestId: req.requestId,
          metadata: { route, fields },
        });
        break;
      } catch (error) {
        const wait = retries[attempt];
        if (wait === undefined) {
          req.log.error({ err: coerceError(error), attempts: attempt + 1 }, 'could not audit a financial guard refusal');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    next(new FinancialFieldProtectedError(fields));
  };
}
