import { describe, expect, it } from 'vitest';
import { FailureCounts } from '@loanops/auth';

describe('FailureCounts', () => {
  it('counts within the window that the first failure opened, and forgets at its end', () => {
    let now = 1_000_000;
    const counts = new FailureCounts(() => now);
    expect(counts.increment('a', 60)).toBe(1);
    now += 30_000;
    expect(counts.increment('a', 60)).toBe(2);
    expect(counts.get('a')).toBe(2);
    expect(counts.ttlSeconds('a')).toBe(30);
    now += 29_999;
    expect(counts.get('a')).toBe(2);
    now += 1;
    expect(counts.get('a')).toBe(0);
    expect(counts.ttlSeconds('a')).toBe(0);
    expect(counts.increment('a', 60)).toBe(1);
  });

  it('keeps keys apart and forgets one on delete', () => {
    const counts = new FailureCounts(() => 0);
    counts.increment('a', 60);
    counts.increment('a', 60);
    counts.increment('b', 60);
    counts.delete('a');
    expect([counts.get('a'), counts.get('b')]).toEqual([0, 1]);
  });

  it('stays within its size: expired counts go first, then the oldest', () => {
    let now = 0;
    const counts = new FailureCounts(() => now, 3);
    counts.increment('short', 1);
    counts.increment('old', 600);
    counts.increment('newer', 600);
    now = 2_000;
    counts.increment('fourth', 600);
    expect(['short', 'old', 'newer', 'fourth'].map((key) => counts.get(key))).toEqual([0, 1, 1, 1]);
    counts.increment('fifth', 600);
    expect(['old', 'newer', 'fourth', 'fifth'].map((key) => counts.get(key))).toEqual([0, 1, 1, 1]);
  });
});
