/**
 * Process-wide counts of events that happen outside the dispatcher (calls to the MoE endpoint,
 * backups, checkpoints, stray errors). Plain numbers, so recording costs nothing when no metrics are served; the
 * metrics endpoint reads them on each scrape.
 */
class Telemetry {
  endpointCalls = 0;
  endpointFailures = 0;
  unhandledErrors = 0;
  backupsOk = 0;
  backupsFailed = 0;
  /** When the last good backup finished (epoch ms); 0 before the first. */
  lastBackupAt = 0;
  /** Background WAL checkpoints that failed (a full disk, a read-only file). */
  checkpointFailures = 0;

  backup(ok: boolean, at = Date.now()): void {
    if (ok) {
      this.backupsOk++;
      this.lastBackupAt = at;
    } else this.backupsFailed++;
  }

  /** One HTTP call to the MoE endpoint; `ok` is false when it got no answer or a server error. */
  endpointCall(ok: boolean): void {
    this.endpointCalls++;
    if (!ok) this.endpointFailures++;
  }

  /**
   * Wraps a fetch so that every call through it is counted: a failure is a call that got no
   * response (refused, reset, timed out) or a 5xx status.
   */
  countedFetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      let response: Response;
      try {
        response = await inner(input, init);
      } catch (err) {
        this.endpointCall(false);
        throw err;
      }
      this.endpointCall(response.status < 500);
      return response;
    };
  }
}

export const telemetry = new Telemetry();
