/**
 * A circuit breaker: after `threshold` consecutive failures the endpoint is presumed down and
 * calls fail at once for `cooldownMs`; then one trial call may go through (half-open). Its success
 * closes the circuit, its failure opens it for another cooldown.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;

  constructor(
    private readonly threshold = 3,
    private readonly cooldownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go out now; while open, how long until a trial may. */
  check(): { allowed: true } | { allowed: false; retryInMs: number } {
    if (this.failures < this.threshold) return { allowed: true };
    const wait = this.openUntil - this.now();
    if (wait > 0) return { allowed: false, retryInMs: wait };
    if (this.trialInFlight) return { allowed: false, retryInMs: 1000 };
    this.trialInFlight = true;
    return { allowed: true };
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs;
  }

  get isOpen(): boolean {
    return this.failures >= this.threshold && this.openUntil > this.now();
  }
}
