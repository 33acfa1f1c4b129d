import { z } from 'zod';
import { addDays, type BusinessDate } from './business-date.js';
import type { Paise } from './money.js';

/** The trailing window a day's score looks at: the 30 days ending on (and including) its date. */
export const SCORE_WINDOW_DAYS = 30;

export function scoreWindow(date: BusinessDate, days: number = SCORE_WINDOW_DAYS): { from: BusinessDate; to: BusinessDate } {
  return { from: addDays(date, -(days - 1)), to: date };
}

/** How much each measure weighs in the score (SCORE_WEIGHTS); only their ratios matter. */
export interface ScoreWeights {
  efficiency: number;
  ptpKept: number;
  cure: number;
  rollForward: number;
}

export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = { efficiency: 40, ptpKept: 25, cure: 20, rollForward: 15 };

const weight = z.number().min(0, 'must be 0 or more').max(1_000, 'must be at most 1000');
export const scoreWeightsSchema = z
  .strictObject({ efficiency: weight, ptpKept: weight, cure: weight, rollForward: weight })
  .refine((w) => w.efficiency + w.ptpKept + w.cure + w.rollForward > 0, 'at least one weight must be above 0');

/**
 * What a collector's loans and promises did over the window (counted in SQL). "Their loans" on a
 * day are those allocated to them that day; a stint is their unbroken hold on a loan in the window.
 */
export interface CollectorActivity {
  /** Payments (not reversed) value-dated in the window on a day the loan was theirs. */
  collectedPaise: Paise;
  /** Installment amounts falling due in the window on a day the loan was theirs. */
  duePaise: Paise;
  /** Their promises judged in the window, and how many of those were kept. */
  promisesResolved: number;
  promisesKept: number;
  /** Their stints on loans that existed at the stint's start (the day before its first day). */
  loansInScope: number;
  /** Of those, the ones past due (not in the first bucket) at the start… */
  loansDelinquent: number;
  /** …and of those, the ones in a better bucket at the stint's end (rolled back, or cured). */
  loansCured: number;
  /** Of all in scope, the ones in a worse bucket at the stint's end (rolled forward). */
  loansRolledForward: number;
}

/** The largest collection efficiency the collector_scores column holds (numeric(9,6)). */
export const MAX_STORED_EFFICIENCY = 999.999999;

export interface CollectorScore {
  collectionEfficiency: number | null;
  ptpKeptRate: number | null;
  cureRate: number | null;
  rollForwardRate: number | null;
  /** 0–100, two decimals. */
  score: number;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;

/**
 * The day's score (see README, "Collector scoring"):
 *
 *   collection efficiency = collected ÷ due            (capped at 1 in the score)
 *   PTP kept rate         = promises kept ÷ promises judged
 *   cure rate             = loans in a better bucket at the end ÷ loans past due at the start
 *   roll-forward rate     = loans in a worse bucket at the end ÷ loans at the start (counts against)
 *
 *   score = 100 × Σ wᵢ·mᵢ ÷ Σ wᵢ, with m = efficiency, kept rate, cure rate, 1 − roll-forward rate,
 *
 * over the measures that have a denominator: a collector with no promises judged is scored on the
 * rest. Null when none has one.
 */
export function scoreCollector(activity: CollectorActivity, weights: ScoreWeights): CollectorScore | null {
  const collectionEfficiency = ratio(activity.collectedPaise, activity.duePaise);
  const ptpKeptRate = ratio(activity.promisesKept, activity.promisesResolved);
  const cureRate = ratio(activity.loansCured, activity.loansDelinquent);
  const rollForwardRate = ratio(activity.loansRolledForward, activity.loansInScope);
  const parts: [number, number | null][] = [
    [weights.efficiency, collectionEfficiency === null ? null : Math.min(1, collectionEfficiency)],
    [weights.ptpKept, ptpKeptRate],
    [weights.cure, cureRate],
    [weights.rollForward, rollForwardRate === null ? null : 1 - rollForwardRate],
  ];
  let weighted = 0;
  let totalWeight = 0;
  for (const [w, measure] of parts) {
    if (measure === null || w === 0) continue;
    weighted += w * measure;
    totalWeight += w;
  }
  if (totalWeight === 0) return null;
  return {
    // Stored as numeric(9,6): a foreclosure against a small due can exceed it, so it is held at the
    // column's largest value (the score already counts efficiency up to 1).
    collectionEfficiency: collectionEfficiency === null ? null : Math.min(MAX_STORED_EFFICIENCY, round(collectionEfficiency, 6)),
    ptpKeptRate: ptpKeptRate === null ? null : round(ptpKeptRate, 6),
    cureRate: cureRate === null ? null : round(cureRate, 6),
    rollForwardRate: rollForwardRate === null ? null : round(rollForwardRate, 6),
    score: round((100 * weighted) / totalWeight, 2),
  };
}
