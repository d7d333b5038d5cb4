import type { ShardStatus } from '../ops/health.js';
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
  /** Each gateway shard's state (for /healthz and /metrics), for a platform that shards. */
  shards?(): ShardStatus[];
  /** Routes the platform needs served on PORT (Discord's interactions endpoint). */
  routes?: HttpRoute[];
}

/** What the composition root hands a platform besides the app. */
export interface PlatformExtras {
  /** Routes for the platform's own HTTP server to serve (Slack's HTTP mode serves those of PORT). */
  routes: HttpRoute[];
}
