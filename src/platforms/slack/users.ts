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
 * Who a Slack user is for the core: the display name, and the admin right (workspace admin or
 * owner per users.info, or listed in SLACK_ADMIN_USER_IDS). Looked up once per user every few
 * minutes; concurrent lookups of one user share a request.
 */
export class SlackUsers {
  private known = new LruMap<string, Known>(10_000);
  private pending = new Map<string, Promise<Known>>();

  constructor(
    private readonly web: webApi.WebClient,
    private readonly adminIds: ReadonlySet<string>,
    private readonly logger: Logger,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async actor(userId: string, fallbackName?: string): Promise<Actor> {
    const known = await this.lookup(userId, fallbackName);
    return { platform: 'slack', userId, displayName: known.displayName, isAdmin: known.isAdmin || this.adminIds.has(userId) };
  }

  private lookup(userId: string, fallbackName?: string): Promise<Known> {
    const cached = this.known.get(userId);
    if (cached && cached.expires > this.now()) return Promise.resolve(cached);
    let request = this.pending.get(userId);
    if (!request) {
      request = this.fetch(userId, fallbackName).finally(() => this.pending.delete(userId));
      this.pending.set(userId, request);
    }
    return request;
  }

  private async fetch(userId: string, fallbackName?: string): Promise<Known> {
    try {
      const { user } = await this.web.users.info({ user: userId });
      const displayName = user?.profile?.display_name || user?.real_name || user?.name || fallbackName || userId;
      const known = { displayName, isAdmin: Boolean(user?.is_admin || user?.is_owner), expires: this.now() + this.ttlMs };
      this.known.set(userId, known);
      return known;
    } catch (err) {
      // Not cached: the next interaction asks again. Meanwhile the user is not an admin.
      this.logger.warn({ err: (err as Error).message, user: userId }, 'slack users.info failed');
      return { displayName: fallbackName || userId, isAdmin: false, expires: 0 };
    }
  }
}
