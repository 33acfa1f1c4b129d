/**
 * The chaos run's plan, pure: a seeded random source, when each fault is injected, and what kind
 * of request each driven payment is. The same seed and duration give the same plan.
 */

export type FaultKind = 'kill-worker' | 'kill-api' | 'redis-restart' | 'redis-flush' | 'postgres-restart' | 'dpd-run';

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
}

/** mulberry32: a small, fast, seeded source of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FaultPlanOptions {
  durationMs: number;
  /** A worker is SIGKILLed every killEveryMs on average (uniformly between half and one and a half of it). */
  killEveryMs: number;
  random: () => number;
}

/**
 * One Redis restart (its append-only file keeps the data), one emptied Redis, the DPD run, one
 * Postgres restart (while the run is likely still going) and the API SIGKILLed once (requests it
 * stored but had not answered are sent again), at fixed fractions of the run so each lands while
 * load flows. The run comes after the emptied Redis: a run whose jobs Redis lost can only be
 * failed by the stale-run sweeper (after two minutes) and started again. Between them a
 * worker SIGKILLed every few seconds. The first and last tenth are kept free of kills so the
 * stack is up before the first fault and the tail of the load is posted by a full set of workers.
 */
export function planFaults(options: FaultPlanOptions): PlannedFault[] {
  const { durationMs, killEveryMs, random } = options;
  if (!(durationMs > 0) || !(killEveryMs > 0)) throw new RangeError('durationMs and killEveryMs must be positive');
  const at = (fraction: number) => Math.round(durationMs * fraction);
  const faults: PlannedFault[] = [
    { atMs: at(0.15), kind: 'redis-restart' },
    { atMs: at(0.3), kind: 'redis-flush' },
    { atMs: at(0.4), kind: 'dpd-run' },
    { atMs: at(0.55), kind: 'postgres-restart' },
    { atMs: at(0.7), kind: 'kill-api' },
  ];
  const end = at(0.9);
  for (let t = at(0.1) + killEveryMs * (0.5 + random()); t < end; t += killEveryMs * (0.5 + random())) {
    faults.push({ atMs: Math.round(t), kind: 'kill-worker' });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export type PaymentKind = 'fresh' | 'duplicate' | 'invalid';

/** What the next driven payment is: a few percent repeat an earlier UTR, a few percent are invalid. */
export function pickPaymentKind(random: () => number, shares: { duplicate: number; invalid: number }, earlier: number): PaymentKind {
  const roll = random();
  if (roll < shares.invalid) return 'invalid';
  if (roll < shares.invalid + shares.duplicate && earlier > 0) return 'duplicate';
  return 'fresh';
}

export type EditKind = 'plain' | 'protected';

export function pickEditKind(random: () => number, protectedShare: number): EditKind {
  return random() < protectedShare ? 'protected' : 'plain';
}

/** Counts by key, for the summary. */
export function tally(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
