import { describe, expect, it } from 'vitest';
import { pickEditKind, pickPaymentKind, planFaults, seededRandom, tally } from '../../bench/chaos/plan.js';

describe('the chaos run plan', () => {
  it('a seed gives the same numbers every time, in [0, 1), and another seed others', () => {
    const a = Array.from({ length: 5 }, seededRandom(7));
    const b = Array.from({ length: 5 }, seededRandom(7));
    const c = Array.from({ length: 5 }, seededRandom(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const many = Array.from({ length: 10_000 }, seededRandom(1));
    expect(Math.min(...many)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...many)).toBeLessThan(1);
  });

  it('plans one Redis restart, one emptied Redis, one Postgres restart, one API kill and one DPD run, in order, and kills in between', () => {
    const plan = planFaults({ durationMs: 120_000, killEveryMs: 5_000, random: seededRandom(3) });
    const once = (kind: string) => plan.filter((fault) => fault.kind === kind);
    for (const kind of ['redis-restart', 'redis-flush', 'postgres-restart', 'kill-api', 'dpd-run']) expect(once(kind)).toHaveLength(1);
    expect(once('redis-restart')[0]?.atMs).toBe(18_000);
    expect(once('redis-flush')[0]?.atMs).toBe(36_000);
    expect(once('dpd-run')[0]?.atMs).toBe(48_000);
    expect(once('postgres-restart')[0]?.atMs).toBe(66_000);
    expect(once('kill-api')[0]?.atMs).toBe(84_000);
    const kills = once('kill-worker');
    // 96 s of kill window at 5 s on average: about 19, never closer than 2.5 s nor further than 7.5 s apart.
    expect(kills.length).toBeGreaterThanOrEqual(13);
    expect(kills.length).toBeLessThanOrEqual(38);
    for (const [index, kill] of kills.entries()) {
      expect(kill.atMs).toBeGreaterThanOrEqual(12_000 + 2_500);
      expect(kill.atMs).toBeLessThan(108_000);
      const previous = kills[index - 1];
      if (previous) {
        expect(kill.atMs - previous.atMs).toBeGreaterThanOrEqual(2_499);
        expect(kill.atMs - previous.atMs).toBeLessThanOrEqual(7_501);
      }
    }
    expect(plan.map((fault) => fault.atMs)).toEqual([...plan.map((fault) => fault.atMs)].sort((x, y) => x - y));
    expect(planFaults({ durationMs: 120_000, killEveryMs: 5_000, random: seededRandom(3) })).toEqual(plan);
  });

  it('refuses a plan without a duration', () => {
    expect(() => planFaults({ durationMs: 0, killEveryMs: 5_000, random: seededRandom(1) })).toThrow(/positive/);
  });

  it('picks payments and edits in the shares asked for, and no duplicate before any UTR was sent', () => {
    const random = seededRandom(11);
    const kinds = new Map<string, number>();
    for (let i = 0; i < 20_000; i += 1) tally(kinds, pickPaymentKind(random, { duplicate: 0.05, invalid: 0.03 }, 1));
    expect((kinds.get('duplicate') ?? 0) / 20_000).toBeCloseTo(0.05, 2);
    expect((kinds.get('invalid') ?? 0) / 20_000).toBeCloseTo(0.03, 2);
    expect(kinds.get('fresh')).toBe(20_000 - (kinds.get('duplicate') ?? 0) - (kinds.get('invalid') ?? 0));
    const first = Array.from({ length: 1_000 }, () => pickPaymentKind(random, { duplicate: 0.5, invalid: 0 }, 0));
    expect(first.includes('duplicate')).toBe(false);
    const edits = Array.from({ length: 10_000 }, () => pickEditKind(random, 0.25));
    expect(edits.filter((kind) => kind === 'protected').length / 10_000).toBeCloseTo(0.25, 1);
  });
});
