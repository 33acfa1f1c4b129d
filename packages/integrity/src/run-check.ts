import type { Kysely } from 'kysely';
import type { BucketTable } from '@loanops/domain';
import { recordAudit, type Actor, type Database, type RunTrigger } from '@loanops/db';
import { INTEGRITY_CHECKS, runChecks, type Finding, type IntegrityCheck } from './checks.js';

export interface IntegrityRunSummary {
  id: number;
  trigger: RunTrigger;
  triggeredBy: string;
  startedAt: string;
  finishedAt: string;
  status: 'CLEAN' | 'FINDINGS';
  findingsTotal: number;
  /** Wrong rows per check (all counted; at most `findingsPerCheck` of each stored). */
  checks: Record<IntegrityCheck, number>;
}

export interface IntegrityRunOptions {
  trigger: RunTrigger;
  actor: Actor;
  bucketTable: BucketTable;
  /** Findings stored per check (default 1,000); every one is counted. */
  findingsPerCheck?: number;
  now?: () => Date;
  /** Told the wall time of each check as it finishes (LOAN_DPD and LOAN_BUCKET share one walk, so come together). */
  onCheckTimed?: (checks: readonly IntegrityCheck[], seconds: number) => void;
}

/**
 * Runs every integrity check and stores the run with its findings (and an audit entry) in one
 * transaction. The checks read outside it: they only read, and a book being written meanwhile can
 * show a payment half-way only if the record is really wrong (every writer changes a loan whole).
 */
export async function runIntegrityCheck(db: Kysely<Database>, options: IntegrityRunOptions): Promise<{ run: IntegrityRunSummary; findings: Finding[] }> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const results = await runChecks({ db, bucketTable: options.bucketTable, limit: options.findingsPerCheck ?? 1_000, onTimed: options.onCheckTimed });
  const finishedAt = now();
  const checks = Object.fromEntries(INTEGRITY_CHECKS.map((check) => [check, results[check].count])) as Record<IntegrityCheck, number>;
  const findings = INTEGRITY_CHECKS.flatMap((check) => results[check].findings);
  const findingsTotal = Object.values(checks).reduce((sum, count) => sum + count, 0);
  const status = findingsTotal === 0 ? 'CLEAN' : 'FINDINGS';
  const triggeredBy = `${options.actor.type}:${options.actor.id}`;
  const id = await db.transaction().execute(async (trx) => {
    const run = await trx
      .insertInto('integrity_runs')
      .values({
        trigger: options.trigger,
        triggered_by: triggeredBy,
        started_at: startedAt,
        finished_at: finishedAt,
        status,
        findings_total: findingsTotal,
        checks: JSON.stringify(checks),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let start = 0; start < findings.length; start += 1_000) {
      await trx
        .insertInto('integrity_findings')
        .values(
          findings.slice(start, start + 1_000).map((finding) => ({
            run_id: run.id,
            check_name: finding.check,
            table_name: finding.table,
            row_id: finding.rowId,
            expected: finding.expected,
            actual: finding.actual,
            message: finding.message,
          })),
        )
        .execute();
    }
    await recordAudit(trx, {
      actor: options.actor,
      action: 'INTEGRITY_CHECK_RUN',
      entityType: 'integrity_run',
      entityId: run.id,
      after: { status, findingsTotal, checks },
    });
    return Number(run.id);
  });
  return {
    run: {
      id,
      trigger: options.trigger,
      triggeredBy,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      status,
      findingsTotal,
      checks,
    },
    findings,
  };
}
