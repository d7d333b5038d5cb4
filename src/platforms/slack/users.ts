import type { webApi } from '@slack/bolt';
import type { Actor } from '../../core/interaction.js';
import { LruMap } from '../../core/util/lru-map.js';
import type { Logger } from '../../logger.js';

interface Known {
  displayName: string;
  isAdmin: boolean;
  expires: number;
}

/**
 * Who a Slack user is for the core, in one workspace: the display name, and the admin right
 * (workspace admin or owner per users.info, asked with that workspace's own token, or listed in
 * SLACK_ADMIN_USER_IDS). Looked up once per user and workspace every few minutes; concurrent
 * lookups share a request.
 */
export class SlackUsers {
  private known = new LruMap<string, Known>(10_000);
  private pending = new Map<string, Promise<Known>>();

  constructor(
    private readonly adminIds: ReadonlySet<string>,
    private readonly logger: Logger,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `web` carries the token of the workspace `serverId` (the request's). */
  async actor(web: webApi.WebClient, serverId: string, userId: string, fallbackName?: string): Promise<Actor> {
    const known = await this.lookup(web, `${serverId}/${userId}`, userId, fallbackName);
    return { platform: 'slack', userId, displayName: known.displayName, isAdmin: known.isAdmin || this.adminIds.has(userId) };
  }

  private lookup(web: webApi.WebClient, key: string, userId: string, fallbackName?: string): Promise<Known> {
    const cached = this.known.get(key);
    if (cached && cached.expires > this.now()) return Promise.resolve(cached);
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetch(web, key, userId, fallbackName).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }

  private async fetch(web: webApi.WebClient, key: string, userId: string, fallbackName?: string): Promise<Known> {
    try {
      const { user } = await web.users.info({ user: userId });
      const displayName = user?.profile?.display_name || user?.real_name || user?.name || fallbackName || userId;
      const known = { displayName, isAdmin: Boolean(user?.is_admin || user?.is_owner), expires: this.now() + this.ttlMs };
      this.known.set(key, known);
      return known;
    } catch (err) {
      // Not cached: the next interaction asks again. Meanwhile the user is not an admin.
      this.logger.warn({ err: (err as Error).message, user: userId }, 'slack users.info failed');
      return { displayName: fallbackName || userId, isAdmin: false, expires: 0 };
    }
  }
}
