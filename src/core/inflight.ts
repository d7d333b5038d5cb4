/**
 * Counts the interactions being handled and closes the door at shutdown: once closed, enter()
 * refuses new work, and settled() tells when the work already inside has finished.
 */
export class InFlight {
  private count = 0;
  private closed = false;
  private waiters = new Set<() => void>();

  get size(): number {
    return this.count;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuse new work from now on. */
  close(): void {
    this.closed = true;
  }

  /** Starts one piece of work; false when closed (the caller must not start it then). */
  enter(): boolean {
    if (this.closed) return false;
    this.count++;
    return true;
  }

  leave(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) for (const wake of [...this.waiters]) wake();
  }

  /** Resolves true once no work is in flight, or false when `timeoutMs` passed first. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(ok);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }
}
