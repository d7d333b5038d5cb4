import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';
import { BotProcess } from './fakes/discord/bot-process.js';
import { FakeDiscord, isEphemeral } from './fakes/discord/index.js';
import type { FakeChannel } from './fakes/discord/model.js';
import { shardOf } from './fakes/discord/gateway.js';
import { freePort } from './fakes/loopback.js';

/**
 * Gateway sharding: the fake Discord recommends two shards (GET /gateway/bot) and refuses fewer;
 * the bot, with DISCORD_SHARDS left at 'auto', runs both in its process. Each shard hears of its
 * own guilds ((guild_id >> 22) % 2) and gets their interactions only.
 */

function sample(metrics: string, line: string): number | undefined {
  const found = metrics.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('Discord sharding (a child process against a fake Discord that wants two shards)', () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let dir: string;
  let port: number;
  let second: { id: string; channels: FakeChannel[] };

  beforeAll(async () => {
    fake = await FakeDiscord.start({ shards: 2, heartbeatIntervalMs: 300 });
    second = fake.addGuild('Second study group', ['lobby'], { shard: 1, announce: true });
    dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-shards-'));
    port = await freePort();
    bot = new BotProcess(fake.env({ DATABASE_PATH: join(dir, 'bot.sqlite'), CONTENT_DIR: join(repoRoot, 'content'), HTTP_PORT: String(port) }));
    await bot.waitForLog('bot started');
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('identifies both shards of the recommended count, each with its own guilds', () => {
    expect(shardOf(fake.guildId, 2)).toBe(0);
    expect(shardOf(second.id, 2)).toBe(1);
    expect(fake.gateway.identifies.map((i) => i.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(fake.state.requests.filter((r) => r.path === '/api/v10/gateway/bot').length).toBeGreaterThan(0);
    expect(bot.logs().find((l) => l.msg === 'discord connected')).toMatchObject({ mode: 'gateway', shards: 2, guilds: 2 });
  });

  it('answers a command in a guild on shard 1, through that shard, and one on shard 0 through shard 0', async () => {
    const ann = fake.user('ann');
    const there = fake.slash(ann, 'quiz', {}, { subcommand: 'start', channel: second.channels[0] });
    const answered = await fake.outcome(there);
    expect(there.shard).toBe(1);
    expect(isEphemeral(answered.message)).toBe(true);
    expect(answered.message!.embeds[0]!.title).toMatch(/^Today's quiz — question 1 of \d+$/);
    const here = fake.slash(ann, 'help');
    expect((await fake.outcome(here)).message!.embeds[0]!.title).toBe('Commands');
    expect(here.shard).toBe(0);
  });

  it('lists both shards in /healthz and /metrics', async () => {
    // Pings are known after the first heartbeat of each shard.
    await expect
      .poll(async () => ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { shards?: { discord: { ping_ms: number | null }[] } }).shards?.discord.every((s) => s.ping_ms !== null), { timeout: 5000 })
      .toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const health = (await res.json()) as Record<string, any>;
    expect(health).toMatchObject({ status: 'ok', platforms: { discord: 'connected' } });
    expect(health.shards.discord).toEqual([
      { id: 0, status: 'ready', ping_ms: expect.any(Number), guilds: 1 },
      { id: 1, status: 'ready', ping_ms: expect.any(Number), guilds: 1 },
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const shard of ['0', '1']) {
      expect(sample(metrics, `quizbot_shard_up{platform="discord",shard="${shard}"}`)).toBe(1);
      expect(sample(metrics, `quizbot_shard_guilds{platform="discord",shard="${shard}"}`)).toBe(1);
      expect(sample(metrics, `quizbot_shard_ping_seconds{platform="discord",shard="${shard}"}`)).toBeGreaterThanOrEqual(0);
    }
  });

  it('stops cleanly', async () => {
    expect(fake.state.requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect(await bot.stop()).toBe(0);
    expect(bot.logs().filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('Discord sharding: too few shards', () => {
  it('refuses to start with fewer shards than Discord requires, saying so', async () => {
    const fake = await FakeDiscord.start({ shards: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'quizbot-discord-shards-'));
    try {
      const bot = new BotProcess(fake.env({ DISCORD_SHARDS: '1', DATABASE_PATH: join(dir, 'bot.sqlite'), CONTENT_DIR: join(repoRoot, 'content') }));
      expect(await bot.exited()).toBe(1);
      expect(bot.stderr).toContain("Discord requires more shards than DISCORD_SHARDS=1. Leave DISCORD_SHARDS at auto (Discord's recommendation), or raise it.");
      expect(fake.gateway.identifies).toEqual([]);
    } finally {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
