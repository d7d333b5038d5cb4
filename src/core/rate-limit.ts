import { LruMap } from './util/lru-map.js';

/**
 * Per-user token bucket for interactions: a user may click `burst` times in a row, then
 * `perSecond` times a second. One person hammering a button cannot queue up work (and database
 * writes) for everyone else; distinct users never share a bucket.
 */

export const SLOW_DOWN_TEXT = 'Slow down a little: too many clicks.';

interface Bucket {
  tokens: number;
  at: number;
}

export class InteractionRateLimit {
  private readonly buckets: LruMap<string, Bucket>;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    maxUsers = 50_000,
  ) {
    // The least recently seen users are forgotten first (a forgotten user starts with a full burst).
    this.buckets = new LruMap(maxUsers);
  }

  /** Takes one token for the key; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const previous = this.buckets.get(key);
    const tokens = previous ? Math.min(this.burst, previous.tokens + ((now - previous.at) / 1000) * this.perSecond) : this.burst;
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }
}
