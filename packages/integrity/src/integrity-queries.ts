import type { Kysely } from 'kysely';
import { NotFoundError } from '@loanops/domain';
import type { Database } from '@loanops/db';
import type { IntegrityCheck } from './checks.js';
import type { IntegrityRunSummary } from './run-check.js';

export interface FindingView {
  id: number;
  check: string;
  table: string;
  rowId: string;
  expected: string | null;
  actual: string | null;
  message: string;
}

type RunRow = {
  id: number;
  trigger: 'SCHEDULE' | 'MANUAL';
  triggered_by: string;
  started_at: Date;
  finished_at: Date;
  status: 'CLEAN' | 'FINDINGS';
  findings_total: number;
  checks: unknown;
};

function toView(row: RunRow): IntegrityRunSummary {
  return {
    id: Number(row.id),
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    status: row.status,
    findingsTotal: row.findings_total,
    checks: row.checks as Record<IntegrityCheck, number>,
  };
}

/** The latest runs first, `limit` of them, before the run id `before` when given. */
export async function listIntegrityRuns(
  db: Kysely<Database>,
  options: { limit: number; before?: number | undefined },
): Promise<{ items: IntegrityRunSummary[] }> {
  let query = db.selectFrom('integrity_runs').selectAll().orderBy('id', 'desc').limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return { items: (await query.execute()).map(toView) };
}

/** A run with the findings it stored, naming each wrong row. */
export async function getIntegrityRun(db: Kysely<Database>, id: number): Promise<IntegrityRunSummary & { findings: FindingView[] }> {
  const row = await db.selectFrom('integrity_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('integrity run', id);
  const findings = await db.selectFrom('integrity_findings').selectAll().where('run_id', '=', id).orderBy('id').execute();
  return {
    ...toView(row),
    findings: findings.map((finding) => ({
      id: Number(finding.id),
      check: finding.check_name,
      table: finding.table_name,
      rowId: finding.row_id,
      expected: finding.expected,
      actual: finding.actual,
      message: finding.message,
    })),
  };
}
