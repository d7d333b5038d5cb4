import { LruMap } from '../util/lru-map.js';

/**
 * Per-user sliding-window rate limit: at most `limit` calls in any `windowMs`. The GPU behind the
 * routing demos is shared, so one user cannot queue it up for everyone else.
 */
export class RateLimiter {
  private readonly calls: LruMap<string, number[]>;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    maxUsers = 10_000,
  ) {
    this.calls = new LruMap(maxUsers);
  }

  /** Takes a slot for the user, or says how long until one frees up. */
  take(user: string): { ok: true } | { ok: false; retryInMs: number } {
    const now = this.now();
    const recent = (this.calls.get(user) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.calls.set(user, recent);
      return { ok: false, retryInMs: this.windowMs - (now - recent[0]!) };
    }
    recent.push(now);
    this.calls.set(user, recent);
    return { ok: true };
  }
}
