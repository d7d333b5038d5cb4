import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Actor, Interaction, Post, Reply } from '../src/core/interaction.js';
import { tickRaces } from '../src/core/quiz/race.js';
import { quizStore } from '../src/core/quiz/store.js';
import { ManualClock } from '../src/core/services.js';
import { tenantOf } from '../src/core/tenant.js';
import { createLogger } from '../src/logger.js';
import { collect, mb, round, runJsonChild, type Benchmark } from './harness.js';

/**
 * What the paths any member can use cost the bot in memory: 20,000 case variants of one time
 * zone through /settings, 2,000 leaderboards of three users with one at 150,000 points read
 * through /leaderboard, and 300 races each started and answered by one person alone. The work
 * runs through the dispatcher of an app built as the bot builds it (a real SQLite file), in a
 * child process of its own with --expose-gc, so the figure is this work's alone and not what an
 * earlier benchmark left behind: its resident memory after a forced collection.
 */

const contentDir = fileURLToPath(new URL('../../content/', import.meta.url));
const NOW = Date.parse('2026-11-20T09:00:00Z');
const ZONE = 'America/Argentina/Buenos_Aires';
const SPELLINGS = 20_000;
/** Spellings per member: one burst of the click limit each. */
const PER_MEMBER = 20;
const BOARDS = 2_000;
const TOP_POINTS = 150_000;
const SOLO_RACES = 300;
/**
 * Resident memory after the work, in MB. The app alone (no platform libraries) is about 120 MB; a
 * formatter per spelling (tens of KB each) or an array sized by points per board would pass 200.
 */
const TARGET_MB = 200;

interface ChildResult {
  rssBeforeMb: number;
  rssAfterMb: number;
  heapAfterMb: number;
  spellingsSet: number;
  boardsRead: number;
  soloClicks: number;
  soloPoints: number;
  seconds: number;
}

/** One spelling of the zone per number: each letter's case is a bit of n. */
function spelling(n: number): string {
  let bit = 0;
  return [...ZONE].map((ch) => (/[a-z]/i.test(ch) ? ((n >> bit++) & 1 ? ch.toUpperCase() : ch.toLowerCase()) : ch)).join('');
}

async function work(app: App, clock: ManualClock): Promise<Omit<ChildResult, 'rssBeforeMb' | 'rssAfterMb' | 'heapAfterMb' | 'seconds'>> {
  let n = 0;
  const member = (userId: string): Actor => ({ platform: 'discord', userId, displayName: userId, isAdmin: false });
  const handle = (actor: Actor, serverId: string, channelId: string, rest: Pick<Interaction, 'kind'> & Record<string, unknown>): Promise<Reply> =>
    app.dispatcher.handle({ id: `i${++n}`, actor, place: { serverId, channelId }, ...rest } as Interaction);

  // Time zones: every spelling a different string, all one zone.
  let spellingsSet = 0;
  for (let m = 0; m < SPELLINGS / PER_MEMBER; m++) {
    for (let k = 0; k < PER_MEMBER; k++) {
      const reply = await handle(member(`tz${m}`), 'tz-server', 'c', { kind: 'command', command: 'settings', options: { timezone: spelling(1 + m * PER_MEMBER + k) } });
      if (/Your time zone is now/.test(reply.text)) spellingsSet++;
    }
  }

  // Boards: three members per server, one far ahead; the totals as the bot keeps them.
  const store = quizStore(app.services);
  const db = app.services.db.$client;
  const insert = db.prepare("INSERT INTO scores (scope, period, user_id, points, reached_at) VALUES (?, 'all', ?, ?, ?)");
  db.exec('BEGIN');
  for (let b = 0; b < BOARDS; b++) {
    const tenant = tenantOf('discord', { serverId: `board-${b}` });
    [TOP_POINTS, 40, 10].forEach((points, k) => insert.run(tenant, store.user(member(`b${b}u${k}`), tenant).id, points, NOW - k));
  }
  db.exec('COMMIT');
  let boardsRead = 0;
  for (let b = 0; b < BOARDS; b++) {
    const reply = await handle(member(`b${b}u2`), `board-${b}`, 'c', { kind: 'command', command: 'leaderboard', options: { period: 'all' } });
    if (reply.text.includes(String(TOP_POINTS))) boardsRead++;
  }

  // Solo races: each started and answered by one member, then closed.
  const posted = new Map<string, Post>();
  app.services.outbox.register('discord', async (post) => void posted.set(post.place.channelId, post));
  let soloClicks = 0;
  for (let r = 0; r < SOLO_RACES; r++) {
    const racer = member(`racer${r}`);
    await handle(racer, 'race-server', `race-${r}`, { kind: 'command', command: 'quiz race', options: { rounds: 1 } });
    await app.services.outbox.settled();
    const button = (posted.get(`race-${r}`)?.reply.components ?? []).flat().find((c) => c.kind === 'button' && c.actionId.startsWith('ra:'));
    if (!button || button.kind !== 'button') throw new Error(`race ${r} posted no round`);
    const reply = await handle(racer, 'race-server', `race-${r}`, { kind: 'action', actionId: button.actionId });
    if (reply.text) soloClicks++;
  }
  clock.advance(3_600_000);
  tickRaces(app.services, clock.now());
  await app.services.outbox.settled();
  const soloPoints = (db.prepare("SELECT coalesce(sum(points), 0) n FROM awards WHERE reason = 'race'").get() as { n: number }).n;
  return { spellingsSet, boardsRead, soloClicks, soloPoints };
}

/** The child: builds the app, measures, does the work, measures again; prints one JSON line. */
async function child(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'quizbot-bench-abuse-'));
  try {
    const config = loadConfig({ CONTENT_DIR: contentDir, DATABASE_PATH: join(dir, 'bench.sqlite') }, '/nonexistent/.env');
    const clock = new ManualClock(new Date(NOW));
    const app = createApp(config, createLogger('silent'), { clock });
    app.startBackground();
    try {
      // One interaction first, so code that loads on first use counts in the baseline.
      await app.dispatcher.handle({ kind: 'command', id: 'warm', actor: { platform: 'discord', userId: 'warm', displayName: 'warm', isAdmin: false }, place: { serverId: 'warm', channelId: 'c' }, command: 'leaderboard', options: {} } as Interaction);
      collect();
      const rssBeforeMb = mb(process.memoryUsage().rss);
      const started = performance.now();
      const counts = await work(app, clock);
      const seconds = (performance.now() - started) / 1000;
      collect();
      const usage = process.memoryUsage();
      const result: ChildResult = { rssBeforeMb, rssAfterMb: mb(usage.rss), heapAfterMb: mb(usage.heapUsed), seconds, ...counts };
      process.stdout.write(JSON.stringify(result) + '\n');
    } finally {
      app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const abuseBenchmark: Benchmark = {
  name: 'abuse',
  async run() {
    const r = await runJsonChild<ChildResult>(fileURLToPath(import.meta.url), ['--child'], 'abuse');
    const checks = [
      r.spellingsSet === SPELLINGS ? '' : `${r.spellingsSet} of ${SPELLINGS} spellings set`,
      r.boardsRead === BOARDS ? '' : `${r.boardsRead} of ${BOARDS} boards read`,
      r.soloPoints === 0 ? '' : `solo races paid ${r.soloPoints} points`,
    ].filter(Boolean);
    if (checks.length) throw new Error(`the abuse benchmark did not do what it measures: ${checks.join('; ')}`);
    return {
      figures: { rss_mb_after_abuse: round(r.rssAfterMb, 0) },
      rows: [
        [
          `RSS after member abuse (${SPELLINGS.toLocaleString('en')} time-zone spellings, ${BOARDS.toLocaleString('en')} boards at ${TOP_POINTS.toLocaleString('en')} points, ${SOLO_RACES} solo races), after GC`,
          `${round(r.rssAfterMb, 0)} MB (${round(r.rssBeforeMb, 0)} MB before, heap ${round(r.heapAfterMb, 0)} MB, ${round(r.seconds, 1)} s)`,
          `< ${TARGET_MB} MB`,
        ],
      ],
    };
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--child')) {
  child().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
