import type { HttpRoute } from '../ops/http.js';

/**
 * What the composition root and the platform adapters share. It sits below both, so nothing in a
 * platform imports the composition root that imports it.
 */

/** A running platform connection. */
export interface PlatformHandle {
  name: string;
  stop(): Promise<void>;
  /** Whether the connection is up now (for /healthz); a platform without it counts as connected. */
  connected?(): boolean;
}

/** What the composition root hands a platform besides the app. */
export interface PlatformExtras {
  /** Routes for the platform's own HTTP server (Slack's HTTP mode, when it shares HTTP_PORT). */
  routes: HttpRoute[];
}
