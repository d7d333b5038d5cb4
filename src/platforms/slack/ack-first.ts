/**
 * Work that continues after an acknowledgement waits here, and goes on one piece per turn of the
 * event loop, so requests that arrive meanwhile are acknowledged between two pieces instead of
 * after all of them (Slack times the acknowledgement, not the work after it).
 */
export class AckFirst {
  private queue: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a later turn of the event loop, after the requests already waiting were read. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.queue.shift()?.();
      // Scheduled from inside the check phase: runs after the next poll for I/O.
      if (this.queue.length) this.schedule();
    });
  }
}
