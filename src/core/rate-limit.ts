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
  private buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxUsers = 50_000,
  ) {}

  /** Takes one token for the key; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.now();
    const previous = this.buckets.get(key);
    const tokens = previous ? Math.min(this.burst, previous.tokens + ((now - previous.at) / 1000) * this.perSecond) : this.burst;
    const allowed = tokens >= 1;
    // Re-inserted so the map stays in least-recently-used order and the oldest key goes first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    if (this.buckets.size > this.maxUsers) this.buckets.delete(this.buckets.keys().next().value!);
    return allowed;
  }
}
