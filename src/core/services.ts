import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';
import type { Lesson } from './content/load.js';
import type { Platform, Post } from './interaction.js';
import { LruMap } from './util/lru-map.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock the terminal chat and tests can move forward. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(date: Date): void {
    this.current = new Date(date);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** The lessons as loaded from CONTENT_DIR, kept in memory for reading and search. */
export class LessonLibrary {
  private byId = new Map<string, Lesson>();
  constructor(private list: Lesson[] = []) {
    this.replace(list);
  }
  replace(list: Lesson[]): void {
    this.list = list;
    this.byId = new Map(list.map((l) => [l.id, l]));
  }
  all(): readonly Lesson[] {
    return this.list;
  }
  get(id: string): Lesson | undefined {
    return this.byId.get(id);
  }
}

export type PostSender = (post: Post) => Promise<void>;

/**
 * Asks the platform whether a channel belongs to a server (Discord: the channel's guild; Slack:
 * the conversation's team). Resolves the channel's id when it does, undefined when it is another
 * server's; throws, with the platform's reason, when the bot cannot see the channel at all.
 */
export type ChannelCheck = (serverId: string, channel: string) => Promise<string | undefined>;

/**
 * Routes messages the core posts by itself (schedules, races) to the platform of their place, and
 * only into channels of that place's server: a post is checked with the platform before it goes.
 */
export class Outbox {
  private senders = new Map<Platform, PostSender>();
  private checks = new Map<Platform, ChannelCheck>();
  /** Channels found to belong to their server (`platform|server|channel`): one platform call each. */
  private known = new LruMap<string, string>(20_000);
  constructor(private logger: Logger) {}
  register(platform: Platform, sender: PostSender, check?: ChannelCheck): void {
    this.senders.set(platform, sender);
    if (check) this.checks.set(platform, check);
  }
  unregister(platform: Platform): void {
    this.senders.delete(platform);
    this.checks.delete(platform);
  }

  /**
   * The channel's id when it belongs to the server on that platform, else undefined. A platform
   * without a check (the terminal) has one server, so every channel is its own.
   */
  async channelOf(platform: Platform, serverId: string, channel: string): Promise<string | undefined> {
    const check = this.checks.get(platform);
    if (!check) return channel;
    const key = `${platform}|${serverId}|${channel}`;
    const known = this.known.get(key);
    if (known) return known;
    const id = await check(serverId, channel);
    if (id) this.known.set(key, id);
    return id;
  }
  /** Sends one post; false when it was not delivered (logged here). */
  send(post: Post): Promise<boolean> {
    return this.track(this.deliver(post));
  }

  /** Sends posts one after another, each whether or not the one before got through. */
  sendInOrder(posts: Post[]): Promise<void> {
    return this.track(
      (async () => {
        for (const post of posts) await this.deliver(post);
      })(),
    );
  }

  /** Resolves once every post under way has been delivered or has failed (before a shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private pending = new Set<Promise<unknown>>();

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  private async deliver(post: Post): Promise<boolean> {
    const sender = this.senders.get(post.platform);
    if (!sender) {
      this.logger.warn({ platform: post.platform, channel: post.place.channelId }, 'no connected platform for a post');
      return false;
    }
    try {
      if (!(await this.channelOf(post.platform, post.place.serverId, post.place.channelId))) {
        this.logger.warn({ platform: post.platform, server: post.place.serverId, channel: post.place.channelId }, 'post refused: the channel is not in its server');
        return false;
      }
      await sender(post);
      return true;
    } catch (err) {
      this.logger.error({ err, platform: post.platform, channel: post.place.channelId }, 'post failed');
      return false;
    }
  }
}

export interface Services {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  lessons: LessonLibrary;
  outbox: Outbox;
}

/** One instance per Services (per running bot), made on first use: caches and schedulers. */
export function perServices<T>(make: (services: Services) => T): (services: Services) => T {
  const made = new WeakMap<Services, T>();
  return (services) => {
    let value = made.get(services);
    if (value === undefined) {
      value = make(services);
      made.set(services, value);
    }
    return value;
  };
}
