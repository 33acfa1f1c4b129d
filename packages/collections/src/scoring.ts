import { sql, type Kysely } from 'kysely';
import type { BusinessDate } from '@loanops/domain';
import { recordAudit, type Actor, type Database } from '@loanops/db';
import { SCORE_WINDOW_DAYS, scoreCollector, scoreWindow, type ScoreWeights } from '@loanops/domain';
import { collectorActivity } from './sql/collector-activity.js';

export interface ScoringSettings {
  weights: ScoreWeights;
  /** The bucket table's names, best first (BUCKET_TABLE). */
  bucketNames: readonly string[];
  windowDays?: number;
}

/**
 * Scores every active collector for `businessDate` over the trailing window and stores the day's
 * scores in one transaction, replacing what an earlier run of the same date stored (never a
 * second row); two runs of one date at once take turns. Each run is audited. Collectors with nothing to score on (no
 * loans due, no promises judged, no loans at the window's start) get no row.
 */
export async function computeCollectorScores(
  db: Kysely<Database>,
  businessDate: BusinessDate,
  settings: ScoringSettings,
  actor: Actor,
): Promise<{ scored: number }> {
  const windowDays = settings.windowDays ?? SCORE_WINDOW_DAYS;
  const window = scoreWindow(businessDate, windowDays);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('collector-scores'), hashtext(${businessDate}))`.execute(trx);
    const activity = await collectorActivity(trx, window, settings.bucketNames);
    const rows = activity.flatMap((entry) => {
      const score = scoreCollector(entry, settings.weights);
      if (!score) return [];
      return [
        {
          collector_id: entry.collectorId,
          business_date: businessDate,
          window_days: windowDays,
          collected_paise: entry.collectedPaise,
          due_paise: entry.duePaise,
          collection_efficiency: score.collectionEfficiency,
          promises_resolved: entry.promisesResolved,
          promises_kept: entry.promisesKept,
          ptp_kept_rate: score.ptpKeptRate,
          loans_in_scope: entry.loansInScope,
          loans_delinquent: entry.loansDelinquent,
          loans_cured: entry.loansCured,
          loans_rolled_forward: entry.loansRolledForward,
          cure_rate: score.cureRate,
          roll_forward_rate: score.rollForwardRate,
          score: score.score,
          weights: JSON.stringify(settings.weights),
        },
      ];
    });
    await trx.deleteFrom('collector_scores').where('business_date', '=', businessDate).execute();
    for (let start = 0; start < rows.length; start += 1_000) {
      await trx.insertInto('collector_scores').values(rows.slice(start, start + 1_000)).execute();
    }
    await recordAudit(trx, {
      actor,
      action: 'COLLECTOR_SCORES_COMPUTED',
      entityType: 'collector_scores',
      entityId: businessDate,
      after: { scored: rows.length },
      metadata: { window, weights: settings.weights },
    });
    return { scored: rows.length };
  });
}

export interface CollectorScoreView {
  rank?: number;
  collectorId: number;
  collectorCode: string;
  collectorName: string;
  businessDate: BusinessDate;
  windowDays: number;
  score: number;
  collectionEfficiency: number | null;
  ptpKeptRate: number | null;
  cureRate: number | null;
  rollForwardRate: number | null;
  collectedPaise: number;
  duePaise: number;
  promisesResolved: number;
  promisesKept: number;
  loansInScope: number;
  loansDelinquent: number;
  loansCured: number;
  loansRolledForward: number;
  weights: unknown;
  computedAt: string;
}

function scoreQuery(db: Kysely<Database>) {
  return db
    .selectFrom('collector_scores as s')
    .innerJoin('collectors as c', 'c.id', 's.collector_id')
    .select([
      's.collector_id',
      'c.code',
      'c.name',
      's.business_date',
      's.window_days',
      's.score',
      's.collection_efficiency',
      's.ptp_kept_rate',
      's.cure_rate',
      's.roll_forward_rate',
      's.collected_paise',
      's.due_paise',
      's.promises_resolved',
      's.promises_kept',
      's.loans_in_scope',
      's.loans_delinquent',
      's.loans_cured',
      's.loans_rolled_forward',
      's.weights',
      's.computed_at',
    ]);
}

type ScoreRow = Awaited<ReturnType<ReturnType<typeof scoreQuery>['executeTakeFirstOrThrow']>>;

// numeric columns arrive as strings from pg.
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toView(row: ScoreRow): CollectorScoreView {
  return {
    collectorId: row.collector_id,
    collectorCode: row.code,
    collectorName: row.name,
    businessDate: row.business_date,
    windowDays: row.window_days,
    score: Number(row.score),
    collectionEfficiency: num(row.collection_efficiency),
    ptpKeptRate: num(row.ptp_kept_rate),
    cureRate: num(row.cure_rate),
    rollForwardRate: num(row.roll_forward_rate),
    collectedPaise: row.collected_paise,
    duePaise: row.due_paise,
    promisesResolved: row.promises_resolved,
    promisesKept: row.promises_kept,
    loansInScope: row.loans_in_scope,
    loansDelinquent: row.loans_delinquent,
    loansCured: row.loans_cured,
    loansRolledForward: row.loans_rolled_forward,
    weights: row.weights,
    computedAt: row.computed_at.toISOString(),
  };
}

/** The day's leaderboard: best score first (ties by collector id), ranked 1, 2, … */
export async function scoreLeaderboard(db: Kysely<Database>, businessDate: BusinessDate, limit: number): Promise<CollectorScoreView[]> {
  const rows = await scoreQuery(db)
    .where('s.business_date', '=', businessDate)
    .orderBy('s.score', 'desc')
    .orderBy('s.collector_id')
    .limit(limit)
    .execute();
  return rows.map((row, index) => ({ rank: index + 1, ...toView(row) }));
}

/** One collector's scores, newest first, optionally between two dates. */
export async function collectorScoreHistory(
  db: Kysely<Database>,
  collectorId: number,
  range: { from?: BusinessDate | undefined; to?: BusinessDate | undefined; limit: number },
): Promise<CollectorScoreView[]> {
  let query = scoreQuery(db).where('s.collector_id', '=', collectorId);
  if (range.from !== undefined) query = query.where('s.business_date', '>=', range.from);
  if (range.to !== undefined) query = query.where('s.business_date', '<=', range.to);
  const rows = await query.orderBy('s.business_date', 'desc').limit(range.limit).execute();
  return rows.map(toView);
}

/** True when a collector with this id exists. */
export async function collectorExists(db: Kysely<Database>, collectorId: number): Promise<boolean> {
  return (await db.selectFrom('collectors').select('id').where('id', '=', collectorId).executeTakeFirst()) !== undefined;
}
