import { sql, type Kysely } from 'kysely';
import { LoanOpsError } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import { QUEUE_NAMES, isQueueName, type QueueName, type Queues } from '@loanops/queues';
import { coerceError, type Logger } from '@loanops/runtime';

/** A queue's kill switch as Postgres keeps it: the record the queues in Redis are brought back to. */
export interface QueueControl {
  queue: QueueName;
  paused: boolean;
  changedBy: string;
  reason: string | null;
  changedAt: Date;
}

export interface QueueSwitch {
  queue: string;
  paused: boolean;
  actor: Actor;
  reason: string | null;
  requestId: string | null;
  /** Where the change came from (`api`, `queue-console`), kept in the audit entry. */
  via: string;
}

export class UnknownQueueError extends LoanOpsError {
  constructor(name: string) {
    super('NOT_FOUND', `no queue named ${JSON.stringify(name)}; known queues: ${QUEUE_NAMES.join(', ')}`, {
      status: 404,
      details: { queue: name, known: QUEUE_NAMES },
    });
    this.name = 'UnknownQueueError';
  }
}

export class QueuesUnavailableError extends LoanOpsError {
  constructor(cause: unknown) {
    super('SERVICE_UNAVAILABLE', 'Redis (the queues) did not answer; nothing was changed, try again shortly', {
      status: 503,
      retryable: true,
      cause,
    });
    this.name = 'QueuesUnavailableError';
  }
}

/** A Redis call that gives up after `ms` rather than holding a transaction open. */
export async function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const REDIS_TIMEOUT_MS = 5_000;

/** The name as a known queue, or 404 NOT_FOUND naming it and the known ones. */
export function knownQueue(name: string): QueueName {
  if (!isQueueName(name)) throw new UnknownQueueError(name);
  return name;
}

/**
 * Pauses or resumes a queue for every worker: the row in queue_controls, its audit entry and the
 * BullMQ queue-level pause in Redis (global: no worker takes a new job of a paused queue) happen
 * in one transaction, so a Redis that cannot be reached leaves nothing changed. Jobs already
 * running finish; jobs waiting stay where they are and resume in order. Repeating a pause (or a
 * resume) is allowed and audited again; it re-applies the state to Redis.
 */
export async function switchQueue(db: Kysely<Database>, queues: Queues, change: QueueSwitch): Promise<QueueControl> {
  const queue = knownQueue(change.queue);
  const by = change.actor.role ? `${change.actor.type}:${change.actor.id} (${change.actor.role})` : `${change.actor.type}:${change.actor.id}`;
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('queue_controls')
      .selectAll()
      .where('queue_name', '=', queue)
      .forUpdate()
      .executeTakeFirst();
    const row = await trx
      .insertInto('queue_controls')
      .values({ queue_name: queue, paused: change.paused, changed_by: by, reason: change.reason, changed_at: new Date() })
      .onConflict((oc) =>
        oc.column('queue_name').doUpdateSet({ paused: change.paused, changed_by: by, reason: change.reason, changed_at: sql`now()` }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor: change.actor,
      action: change.paused ? 'QUEUE_PAUSED' : 'QUEUE_RESUMED',
      entityType: 'queue',
      entityId: queue,
      before: before ? { paused: before.paused, changedBy: before.changed_by, reason: before.reason } : { paused: false },
      after: { paused: row.paused, reason: row.reason },
      metadata: { via: change.via },
      requestId: change.requestId,
    });
    const bull = queues.get(queue);
    try {
      await withinMs(change.paused ? bull.pause() : bull.resume(), REDIS_TIMEOUT_MS);
    } catch (error) {
      throw new QueuesUnavailableError(error);
    }
    return toControl(row);
  });
}

function toControl(row: { queue_name: string; paused: boolean; changed_by: string; reason: string | null; changed_at: Date }): QueueControl {
  return { queue: row.queue_name as QueueName, paused: row.paused, changedBy: row.changed_by, reason: row.reason, changedAt: row.changed_at };
}

/** Every queue's kill switch as Postgres keeps it (queues never switched have no row). */
export async function listQueueControls(db: Kysely<Database>): Promise<QueueControl[]> {
  const rows = await db.selectFrom('queue_controls').selectAll().orderBy('queue_name').execute();
  return rows.filter((row) => isQueueName(row.queue_name)).map(toControl);
}

/** What applyQueueControls changed in Redis. */
export interface AppliedControl {
  queue: QueueName;
  paused: boolean;
}

/** What one pass of applyQueueControls found and did. */
export interface ControlPass {
  /** Queues whose Redis state was changed to the recorded one. */
  applied: AppliedControl[];
  /** The recorded pause of every chosen queue (false for a queue never switched). */
  recorded: ReadonlyMap<QueueName, boolean>;
}

/**
 * Brings the chosen queues in Redis to the state Postgres records: a pause lost with a Redis that
 * came back empty is made again, and a resume whose Redis call never landed is finished. Queues
 * with no row are left as they are. The rows are read FOR SHARE, so a switch being made at the
 * same moment waits for this to finish (and then applies its own state) rather than being undone.
 */
export async function applyQueueControls(
  db: Kysely<Database>,
  queues: Queues,
  names: readonly QueueName[] = QUEUE_NAMES,
): Promise<ControlPass> {
  const recorded = new Map<QueueName, boolean>(names.map((name) => [name, false]));
  if (names.length === 0) return { applied: [], recorded };
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('queue_controls')
      .select(['queue_name', 'paused'])
      .where('queue_name', 'in', [...names])
      .forShare()
      .execute();
    const applied: AppliedControl[] = [];
    for (const row of rows) {
      if (!isQueueName(row.queue_name)) continue;
      recorded.set(row.queue_name, row.paused);
      const bull = queues.get(row.queue_name);
      if ((await withinMs(bull.isPaused(), REDIS_TIMEOUT_MS)) === row.paused) continue;
      await withinMs(row.paused ? bull.pause() : bull.resume(), REDIS_TIMEOUT_MS);
      applied.push({ queue: row.queue_name, paused: row.paused });
    }
    return { applied, recorded };
  });
}

export interface QueueControlSync {
  /** Settles once the state has been applied once (retrying until it could be). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Applies the recorded kill switches now (retrying every second until Postgres and Redis both
 * answer) and then every `intervalMs`, so a Redis emptied under running processes gets its pauses
 * back within an interval. After each pass `onRecord` gets the recorded state (a worker uses it to
 * hold its own fetching too, which closes the gap while Redis is being refilled). Changes made are
 * logged.
 */
export function startQueueControlSync(deps: {
  db: Kysely<Database>;
  queues: Queues;
  names?: readonly QueueName[];
  intervalMs: number;
  logger: Logger;
  onRecord?: (recorded: ReadonlyMap<QueueName, boolean>) => Promise<void> | void;
}): QueueControlSync {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const once = async (): Promise<boolean> => {
    try {
      const pass = await applyQueueControls(deps.db, deps.queues, deps.names);
      for (const change of pass.applied) {
        deps.logger.warn(change, change.paused ? 'queue paused again from the record' : 'queue resumed from the record');
      }
      await deps.onRecord?.(pass.recorded);
      return true;
    } catch (error) {
      deps.logger.error({ err: coerceError(error) }, 'could not apply the queue kill switches');
      return false;
    }
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const ready = (async () => {
    while (!stopped && !(await once())) await sleep(1_000);
  })();
  const loop = (async () => {
    await ready;
    while (!stopped && deps.intervalMs > 0) {
      await sleep(deps.intervalMs);
      if (!stopped) await once();
    }
  })();
  return {
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
