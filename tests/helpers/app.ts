import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ActionInteraction, Actor, Interaction, Platform, Post, Reply } from '../../src/core/interaction.js';
import { ManualClock } from '../../src/core/services.js';
import { createLogger } from '../../src/logger.js';
import { repoRoot } from './cli.js';
import { tempDir } from './tmp.js';

let counter = 0;

/** The real core on a real SQLite file in a temp directory, with a manual clock. */
export function makeApp(env: Record<string, string> = {}, start = '2026-11-20T09:00:00Z'): { app: App; clock: ManualClock; dbPath: string } {
  const dir = tempDir();
  const dbPath = join(dir, 'bot.sqlite');
  const config = loadConfig({ CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath, ...env }, '/nonexistent/.env');
  const clock = new ManualClock(new Date(start));
  const app = createApp(config, createLogger('silent'), { clock });
  return { app, clock, dbPath };
}

/**
 * For a test file: makes apps (makeApp) whose own posts on `platform` are collected, and closes
 * every one after each test.
 */
export function appsWithPosts(platform: Platform = 'terminal') {
  const apps: App[] = [];
  afterEach(() => {
    while (apps.length) apps.pop()!.close();
  });
  return (env: Record<string, string> = {}, start?: string) => {
    const made = makeApp(env, start);
    apps.push(made.app);
    const posts: Post[] = [];
    made.app.services.outbox.register(platform, async (p) => {
      posts.push(p);
    });
    return { ...made, posts, sql: () => new Database(made.dbPath, { readonly: true }) };
  };
}

export function actor(name: string, isAdmin = false, platform: Actor['platform'] = 'terminal'): Actor {
  return { platform, userId: name, displayName: name, isAdmin };
}

/** Sends interactions as one user in one channel. */
export function as(app: App, who: Actor, channelId = 'general', serverId = 'local') {
  const place = { serverId, channelId };
  return {
    command: (command: string, options: Record<string, unknown> = {}, id = `i${++counter}`): Promise<Reply> =>
      app.dispatcher.handle({ kind: 'command', id, actor: who, place, command, options } as Interaction),
    action: (actionId: string, extra: Partial<ActionInteraction> = {}, id = `i${++counter}`): Promise<Reply> =>
      app.dispatcher.handle({ kind: 'action', id, actor: who, place, actionId, ...extra } as Interaction),
  };
}

/** All button action ids of a reply, with their labels. */
export function buttons(reply: Reply): { label: string; actionId: string }[] {
  return (reply.components ?? []).flat().flatMap((c) => (c.kind === 'button' ? [{ label: c.label, actionId: c.actionId }] : []));
}
