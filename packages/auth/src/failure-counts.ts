/**
 * Failed sign-ins counted in this process, beside the shared counts in Redis. Sign-in reads the
 * larger of the two, so a lock-out still holds when Redis does not answer, or answers having
 * forgotten its keys (restarted empty): an attacker gains nothing by knocking Redis over. Each
 * process counts only what it saw, so with Redis away the limits apply per API process.
 *
 * Bounded: past `maxKeys` the expired counts go first, then the oldest.
 */
export class FailureCounts {
  private readonly counts = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  get(key: string): number {
    const entry = this.live(key);
    return entry?.count ?? 0;
  }

  /** Seconds until `key`'s count is forgotten; 0 when there is none. */
  ttlSeconds(key: string): number {
    const entry = this.live(key);
    return entry ? Math.ceil((entry.expiresAt - this.clock()) / 1_000) : 0;
  }

  /** One more failure; the window starts at the first failure, as Redis's EXPIRE NX does. */
  increment(key: string, windowSeconds: number): number {
    const entry = this.live(key);
    if (entry) {
      entry.count += 1;
      return entry.count;
    }
    this.makeRoom();
    this.counts.set(key, { count: 1, expiresAt: this.clock() + windowSeconds * 1_000 });
    return 1;
  }

  delete(key: string): void {
    this.counts.delete(key);
  }

  private live(key: string) {
    const entry = this.counts.get(key);
    if (entry && entry.expiresAt <= this.clock()) {
      this.counts.delete(key);
      return undefined;
    }
    return entry;
  }

  private makeRoom(): void {
    if (this.counts.size < this.maxKeys) return;
    const now = this.clock();
    for (const [key, entry] of this.counts) if (entry.expiresAt <= now) this.counts.delete(key);
    // Still full: forget the oldest windows first (Map keeps insertion order).
    for (const key of this.counts.keys()) {
      if (this.counts.size < this.maxKeys) break;
      this.counts.delete(key);
    }
  }
}
