import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORE_WEIGHTS, scoreCollector, scoreWeightsSchema, scoreWindow, type CollectorActivity } from '@loanops/collections';

const none: CollectorActivity = {
  collectedPaise: 0,
  duePaise: 0,
  promisesResolved: 0,
  promisesKept: 0,
  loansInScope: 0,
  loansDelinquent: 0,
  loansCured: 0,
  loansRolledForward: 0,
};

describe('collector score', () => {
  it('weighs the four measures (hand-computed)', () => {
    // efficiency 0.8, kept 3/4, cure 1/2, roll-forward 1/10 → (40·0.8 + 25·0.75 + 20·0.5 + 15·0.9) / 100 = 0.7425
    const score = scoreCollector(
      { collectedPaise: 80_000, duePaise: 100_000, promisesResolved: 4, promisesKept: 3, loansInScope: 10, loansDelinquent: 4, loansCured: 2, loansRolledForward: 1 },
      DEFAULT_SCORE_WEIGHTS,
    );
    expect(score).toEqual({ collectionEfficiency: 0.8, ptpKeptRate: 0.75, cureRate: 0.5, rollForwardRate: 0.1, score: 74.25 });
  });

  it('caps efficiency at 1 in the score, not in the measure', () => {
    const score = scoreCollector({ ...none, collectedPaise: 300, duePaise: 200 }, DEFAULT_SCORE_WEIGHTS);
    expect(score).toEqual({ collectionEfficiency: 1.5, ptpKeptRate: null, cureRate: null, rollForwardRate: null, score: 100 });
  });

  it('holds a huge efficiency (a foreclosure against a small due) at what the column can store', () => {
    const score = scoreCollector({ ...none, collectedPaise: 60_000_000, duePaise: 50_000 }, DEFAULT_SCORE_WEIGHTS);
    expect(score?.collectionEfficiency).toBe(999.999999);
    expect(score?.score).toBe(100);
  });

  it('leaves out measures without a denominator and weighs the rest', () => {
    // kept 1/2 and roll-forward 0/4 only: (25·0.5 + 15·1) / 40 = 0.6875
    const score = scoreCollector({ ...none, promisesResolved: 2, promisesKept: 1, loansInScope: 4 }, DEFAULT_SCORE_WEIGHTS);
    expect(score?.score).toBe(68.75);
    expect(scoreCollector(none, DEFAULT_SCORE_WEIGHTS)).toBeNull();
  });

  it('stays within 0–100', () => {
    expect(scoreCollector({ ...none, duePaise: 100, loansInScope: 3, loansRolledForward: 3, promisesResolved: 2 }, DEFAULT_SCORE_WEIGHTS)?.score).toBe(0);
  });

  it('takes weights that are non-negative and not all zero', () => {
    expect(scoreWeightsSchema.safeParse({ efficiency: 1, ptpKept: 0, cure: 0, rollForward: 0 }).success).toBe(true);
    expect(scoreWeightsSchema.safeParse({ efficiency: 0, ptpKept: 0, cure: 0, rollForward: 0 }).success).toBe(false);
    expect(scoreWeightsSchema.safeParse({ efficiency: -1, ptpKept: 1, cure: 1, rollForward: 1 }).success).toBe(false);
    expect(scoreWeightsSchema.safeParse({ efficiency: 1, ptpKept: 1, cure: 1 }).success).toBe(false);
  });

  it('looks at the 30 days ending on its date', () => {
    expect(scoreWindow('2026-03-30')).toEqual({ from: '2026-03-01', to: '2026-03-30' });
  });
});
