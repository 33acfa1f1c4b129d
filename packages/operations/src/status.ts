import { sql, type Kysely } from 'kysely';
import type { Database, RunKind, RunStatus } from '@loanops/db';
import { QUEUE_NAMES, type QueueName, type Queues } from '@loanops/queues';
import { listQueueControls, withinMs } from './queue-controls.js';

export interface FeatureFlags {
  CRON_ENABLED: boolean;
  ESCALATION_ENABLED: boolean;
  SCORING_ENABLED: boolean;
  REMINDERS_ENABLED: boolean;
}

export interface QueueState {
  name: QueueName;
  /** BullMQ's queue-level pause, what workers obey (null when Redis did not answer). */
  pausedInRedis: boolean | null;
  /** The kill switch as recorded; re-applied to Redis when the two differ. */
  pausedInPostgres: boolean;
  changedBy: string | null;
  changedAt: Date | null;
  reason: string | null;
  /** Jobs by state (null when Redis did not answer). */
  counts: Record<string, number> | null;
}

export interface LastRun {
  kind: RunKind;
  id: number;
  businessDate: string;
  trigger: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

export interface OperationsStatus {
  flags: FeatureFlags;
  /** Whether Redis answered for every queue; the Postgres side is shown either way. */
  redis: 'ok' | 'unavailable';
  queues: QueueState[];
  /** The latest run of each scheduled job that has run at all (job_runs). */
  lastRuns: LastRun[];
}

const COUNTED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/** Flags, every catalog queue's pause (Redis and Postgres) and job counts, and the last runs. */
export async function operationsStatus(
  db: Kysely<Database>,
  queues: Queues,
  flags: FeatureFlags,
  redisTimeoutMs = 2_000,
): Promise<OperationsStatus> {
  const [controls, runs] = await Promise.all([
    listQueueControls(db),
    sql<{
      id: number;
      kind: RunKind;
      business_date: string;
      trigger: string;
      status: RunStatus;
      started_at: Date;
      finished_at: Date | null;
      error: string | null;
    }>`
      SELECT DISTINCT ON (kind) id, kind, business_date, trigger, status, started_at, finished_at, error
      FROM job_runs ORDER BY kind, started_at DESC, id DESC`.execute(db),
  ]);
  const byName = new Map(controls.map((control) => [control.queue, control]));
  const states = await Promise.all(
    QUEUE_NAMES.map(async (name): Promise<QueueState> => {
      const bull = queues.get(name);
      const [pausedInRedis, counts] = await withinMs(Promise.all([bull.isPaused(), bull.getJobCounts(...COUNTED)]), redisTimeoutMs).catch(
        () => [null, null] as const,
      );
      const control = byName.get(name);
      return {
        name,
        pausedInRedis,
        pausedInPostgres: control?.paused ?? false,
        changedBy: control?.changedBy ?? null,
        changedAt: control?.changedAt ?? null,
        reason: control?.reason ?? null,
        counts,
      };
    }),
  );
  return {
    flags,
    redis: states.every((state) => state.pausedInRedis !== null) ? 'ok' : 'unavailable',
    queues: states,
    lastRuns: runs.rows.map((row) => ({
      kind: row.kind,
      id: row.id,
      businessDate: row.business_date,
      trigger: row.trigger,
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      error: row.error,
    })),
  };
}
