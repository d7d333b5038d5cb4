import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsOf } from '../fakes/discord/index.js';
import type { FakeChannel } from '../fakes/discord/model.js';
import { freePort } from '../fakes/loopback.js';
import { buttonsIn } from '../fakes/slack/payloads.js';
import { StressBot } from './harness/bot.js';
import { scratchDir } from './harness/dirs.js';
import { ms, percentile } from './harness/figures.js';
import { pool, runLoad, type LoadPlan } from './harness/load.js';
import { ACK_DEADLINE_MS, NoAnswer, Platforms, slackChannelId, type Seen } from './harness/platforms.js';
import { recordSection } from './harness/report.js';
import { botMetrics, closeTenantAgents, discordChannelTexts, GuildClient, rssMb, sampleRss, Seeing, SlackTeamClient, slackTexts } from './harness/tenants.js';

/**
 * Two tenants on one bot. Tenant A (a Discord server and a Slack workspace) goes through a busy
 * morning while tenant B (another Discord server and another Slack workspace) attacks: its admin
 * imports a bank of phishing prompts and tries every way to reach A (import lists, a daily post
 * into A's channel, A's race and import buttons, A's bank and question ids), and its members try
 * the paths that cost the bot memory or time (thousands of time-zone spellings, a file the import
 * grammar is slow on, solo races for points, a flood of clicks, files sent in direct messages).
 * Nothing of B may reach A, A's load must keep every deadline, and the bot's memory stays bounded.
 */

const LOAD: LoadPlan = { users: 1200, channels: 20, races: 8, raceClickers: 20, steps: 4, concurrency: 32, waitMs: 20_000, attempts: 1 };
/** A's quizzes and races in the lesson B's bank claims, once that bank is live (per platform). */
const PROBE_QUIZZES = 30;
const PROBE_RACES = 3;
const PHISH_QUESTIONS = 120;
/** Each of these members sends a burst's worth of spellings: 3,000 in all. */
const TZ_MEMBERS = 150;
const TZ_PER_MEMBER = 20;
/**
 * B's admins importing the slow file at the same time. Each parse is a thread of its own that
 * keeps a core busy until the budget: on two cores, two at once slowed A's acks to 2-2.5 s.
 */
const SLOW_IMPORTERS = ['adminmallory8'];
const SOLO_RACES = 12;
const FLOOD = 1000;
const DM_FILES = 20;
/** B's presses of each of A's race buttons, per platform. */
const RACE_PRESSES = 4;
const ROUND_SECONDS = 15;
const BURST = 20;
const PER_SECOND = 5;
/**
 * The bot starts at 150-200 MB (discord.js, Bolt, SQLite, the lesson index), and A's load alone
 * leaves it at about 250 MB in this harness. 400 MB leaves B room for a burst that passes (a 5 MB
 * file in a parser thread), not for anything that grows with B's input: a formatter per time-zone
 * spelling (tens of KB each, outside the JS heap) or a point-sized array per board would pass it.
 */
const RSS_LIMIT_MB = 400;

/** The first lesson: new questions are asked lesson by lesson, and within one, bank by bank. */
const LESSON = 'moe-behave-differently';
/** Sorts before every content bank, so a leaked question would be the first one asked. */
const PHISH_BANK = 'account-security';
const CONTENT_QUESTION = 'tradeoffs-subset-of-experts';
const ZONE = 'America/Argentina/Buenos_Aires';
/** What ICU calls it (the older name is the canonical one there). */
const CANONICAL_ZONE = /America\/(Argentina\/)?Buenos_Aires/;

const token = randomBytes(4).toString('hex');
const PHISH = `PHISH-${token}`;
const VICTIM = `VICTIM-${token}`;

const csv = (rows: string[][]) => rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n';
const HEADER = ['id', 'question', 'choice_a', 'choice_b', 'choice_c', 'answer', 'explanation'];
/** A question's source lesson needs a section of it too. */
const SECTION = 'The premise';
const phishingBank = () =>
  csv([
    [...HEADER, 'lesson', 'section'],
    ...Array.from({ length: PHISH_QUESTIONS }, (_, i) => [
      `sec-${i + 1}`,
      `[${PHISH}] Your account will be suspended today. Sign in at https://discord-account-verify.example/login within 24 hours to keep it (notice ${i + 1}).`,
      'Sign in now',
      'Ignore it',
      'Report it',
      'C',
      'Never sign in from a link in a message.',
      LESSON,
      SECTION,
    ]),
  ]);
const victimBank = (prefix: string, n: number) =>
  csv([HEADER, ...Array.from({ length: n }, (_, i) => [`${prefix}-${i + 1}`, `${VICTIM} Which part of an MoE layer picks the experts (${i + 1})?`, 'The router', 'The tokenizer', 'The embedding', 'A', 'The router scores the experts.'])]);
/** A file the GIFT grammar is slow on (seconds): answer blocks that never close. */
function slowGift(): Buffer {
  const block = 'Q {' + '=a#\n'.repeat(4996) + '\n';
  return Buffer.from(block.repeat(Math.floor((5 * 1024 * 1024) / block.length)));
}

/** One spelling of the zone per number: each letter's case is a bit of n. */
function zoneSpelling(n: number): string {
  let bit = 0;
  return [...ZONE].map((ch) => (/[a-z]/i.test(ch) ? ((n >> bit++) & 1 ? ch.toUpperCase() : ch.toLowerCase()) : ch)).join('');
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // A step that waits on this fails with the producer's error rather than hanging.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const sleep = (msecs: number) => new Promise((r) => setTimeout(r, msecs));

interface Row {
  /** Where the row goes in the report: B's steps finish in no fixed order. */
  rank: number;
  attempt: string;
  sent: number;
  result: string;
}

describe('tenants: a hostile tenant beside a busy one', () => {
  let platforms: Platforms;
  let bot: StressBot;
  let dbPath: string;
  const scratch = scratchDir('quizbot-stress-tenants-');
  let aChannels: FakeChannel[];
  let bChannels: FakeChannel[];
  let bGuildId: string;
  let metricsPort: number;
  const B_TEAM = 'T0EVIL';
  const B_SLACK_CHANNEL = 'CEVIL0';
  const B_SLACK_ADMIN = 'UMALLORYADMIN';

  beforeAll(async () => {
    const probeChannels = LOAD.channels + LOAD.races / 2;
    platforms = await Platforms.start(probeChannels + PROBE_RACES);
    aChannels = [...platforms.discord.state.guild.channels];
    const b = platforms.discord.addGuild("Mallory's den", Array.from({ length: 12 + SOLO_RACES }, (_, i) => `den-${i}`));
    bGuildId = b.id;
    bChannels = b.channels;
    platforms.slack.foreignChannels.set(B_SLACK_CHANNEL, B_TEAM);
    dbPath = join(scratch.path, 'bot.sqlite');
    metricsPort = await freePort();
    bot = new StressBot(
      platforms.env(dbPath, {
        RACE_ROUND_SECONDS: String(ROUND_SECONDS),
        RATE_LIMIT_BURST: String(BURST),
        RATE_LIMIT_PER_SECOND: String(PER_SECOND),
        SLACK_ADMIN_USER_IDS: B_SLACK_ADMIN,
        HTTP_PORT: String(metricsPort),
      }),
    );
    await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await platforms?.stop();
    closeTenantAgents();
    scratch.cleanup();
  });

  it('leaks nothing of B to A, keeps A on time, and keeps memory bounded', async () => {
    const rssStartMb = rssMb(bot.pid!);
    const rss = sampleRss(bot.pid!);
    // The harness plays every user in this one process: its own stalls show up in ack times too.
    const harnessLag = monitorEventLoopDelay({ resolution: 10 });
    harnessLag.enable();
    const aSeeing = new Seeing();
    const bSeeing = new Seeing();
    aSeeing.watch(platforms.client('discord'));
    aSeeing.watch(platforms.client('slack'));
    const aSlack = platforms.client('slack');
    const aDiscord = new GuildClient(platforms.discord, aChannels, aSeeing);
    const bDiscord = new GuildClient(platforms.discord, bChannels, bSeeing);
    const bSlack = new SlackTeamClient(platforms, B_TEAM, 'evil', bSeeing);
    const rows: Row[] = [];
    const problems: string[] = [];
    /** Acknowledgements of B's interactions (A's are the load's). */
    const bAcks: number[] = [];
    const b = <T extends Seen>(seen: T): T => (bAcks.push(seen.ackMs), seen);

    // The daily post time for both schedules B sets: B sets them first, within a few seconds.
    const at = new Date(Math.ceil((Date.now() + 10_000) / 60_000) * 60_000);
    const time = at.toISOString().slice(11, 16);

    const aBank = deferred<void>();
    const aDraft = deferred<Seen>();
    const bPressedDraft = deferred<void>();
    const phishLive = deferred<void>();
    const aRacePosts = deferred<{ discord: Seen[]; slack: Seen[] }>();
    const bImported = deferred<void>();
    const figures = { slowGiftMs: [] as number[], slowGiftWhy: [] as string[], aMaxAckDuringSlow: 0, probeQuizzes: 0, probeRaces: 0, farmerRight: 0, tz: { ok: 0, limited: 0, other: [] as string[] }, flood: { limited: 0, errors: 0, seconds: 0 }, dmReplies: 0 };

    // ---- Tenant A: the busy morning, its admin's imports, and probes in B's lesson ----
    const aLoad = runLoad(platforms, LOAD);

    const victim = async () => {
      try {
        const preview = await aDiscord.command('adminalice', 0, 'quiz-admin import', { bank: 'team-a' }, { file: { name: 'team-a.csv', content: victimBank('victim', 5) } });
        const apply = preview.buttons.find((x) => x.id.startsWith('import.apply:'));
        if (!apply) throw new Error(`A's own import was not previewed: ${preview.text.slice(0, 300)}`);
        const applied = await aDiscord.press('adminalice', preview, apply);
        if (!/Import applied/.test(applied.text)) problems.push(`A's own import: ${applied.text.slice(0, 200)}`);
        aBank.resolve();
        aDraft.resolve(await aDiscord.command('adminalice', 0, 'quiz-admin import', { bank: 'team-a-extra' }, { file: { name: 'team-a-extra.csv', content: victimBank('victim-extra', 3) } }));
      } catch (err) {
        aBank.reject(err);
        aDraft.reject(err);
        throw err;
      }
      await phishLive.promise;
      const base = LOAD.channels + LOAD.races / 2;
      try {
        const posts = { discord: [] as Seen[], slack: [] as Seen[] };
        for (let k = 0; k < PROBE_RACES; k++) {
          await aDiscord.command(`prober-d${k}`, base + k, 'quiz race', { rounds: 1, lesson: LESSON });
          const d = await aDiscord.channelPost(base + k, 'ra:');
          await aSlack.command(`prober-s${k}`, base + k, 'quiz race', { rounds: 1, lesson: LESSON });
          const s = await aSlack.channelPost(base + k, 'ra:');
          if (!d || !s) throw new Error(`A's probe race ${k} posted no round`);
          posts.discord.push(d);
          posts.slack.push(s);
          // Two of A's players each, so the races pay as usual.
          for (const n of [0, 1]) {
            await aDiscord.press(`racer-d${k}-${n}`, d, d.buttons[n % d.buttons.length]!);
            await aSlack.press(`racer-s${k}-${n}`, base + k, s, s.buttons[n % s.buttons.length]!);
          }
        }
        figures.probeRaces = PROBE_RACES * 2;
        aRacePosts.resolve(posts);
      } catch (err) {
        aRacePosts.reject(err);
        throw err;
      }
      await pool(Array.from({ length: PROBE_QUIZZES }, (_, i) => i), 6, async (i) => {
        await aDiscord.command(`probe-d${i}`, 0, 'quiz start', { lesson: LESSON });
        await aSlack.command(`probe-s${i}`, 0, 'quiz start', { lesson: LESSON });
        figures.probeQuizzes += 2;
      });
      await bPressedDraft.promise;
      const draft = await aDraft.promise;
      const applied = await aDiscord.press('adminalice', draft, draft.buttons.find((x) => x.id.startsWith('import.apply:'))!);
      rows.push({ rank: 7, attempt: "Afterwards, A's admin applies that same preview", sent: 1, result: applied.text.split('\n')[0]!.slice(0, 60) });
      if (!/Import applied/.test(applied.text)) problems.push(`A's draft after B's presses: ${applied.text.slice(0, 200)}`);
      await bImported.promise;
      const list = await aDiscord.command('adminalice', 0, 'quiz-admin imports');
      if (!/team-a/.test(list.text)) problems.push(`A's import list lacks A's imports: ${list.text.slice(0, 200)}`);
      for (let i = 0; i < 5; i++) await platforms.client('discord').command(`u${2 * i}`, 0, 'leaderboard', { period: 'all' });
    };

    // ---- Tenant B's admins: the phishing bank, then every way towards A ----
    const hostileAdmin = async () => {
      const bankPhish = async () => {
        try {
          const preview = b(await bDiscord.command('adminmallory0', 0, 'quiz-admin import', { bank: PHISH_BANK }, { file: { name: `${PHISH_BANK}.csv`, content: phishingBank() } }));
          const apply = preview.buttons.find((x) => x.id.startsWith('import.apply:'));
          if (!apply) throw new Error(`B's phishing import was not previewed: ${preview.text.slice(0, 300)}`);
          const applied = b(await bDiscord.press('adminmallory0', preview, apply));
          if (!/Import applied/.test(applied.text)) throw new Error(`B's phishing import was not applied: ${applied.text.slice(0, 300)}`);
          phishLive.resolve();
        } catch (err) {
          phishLive.reject(err);
          throw err;
        }
        // Live in B: B's own quiz in that lesson starts with it.
        const own = b(await bDiscord.command('mallory-control', 1, 'quiz start', { lesson: LESSON }));
        rows.push({ rank: 2, attempt: `B imports ${PHISH_QUESTIONS} questions with a phishing prompt into bank \`${PHISH_BANK}\` (lesson ${LESSON})`, sent: 1, result: own.text.includes(PHISH) ? "applied; B's own quiz in that lesson starts with it" : 'applied, but B does not see it' });
        if (!own.text.includes(PHISH)) problems.push(`B's own quiz does not show B's bank: ${own.text.slice(0, 200)}`);
      };

      const slowImports = async () => {
        await Promise.all(
          SLOW_IMPORTERS.map(async (admin) => {
            const from = performance.now();
            const seen = b(await bDiscord.command(admin, 2, 'quiz-admin import', {}, { file: { name: 'notice.gift', content: slowGift() }, waitMs: 30_000 }));
            const to = performance.now();
            figures.slowGiftMs.push(to - from);
            figures.slowGiftWhy.push(/took longer than/.test(seen.text) ? 'over the time budget' : (seen.text.split('\n').find((l) => l.startsWith('•')) ?? seen.text).slice(0, 80));
            figures.aMaxAckDuringSlow = Math.max(figures.aMaxAckDuringSlow, aSeeing.maxAck(from, to));
            if (!/Import refused/.test(seen.text) || seen.buttons.length) problems.push(`slow GIFT: ${seen.text.slice(0, 200)}`);
          }),
        );
        rows.push({
          rank: 11,
          attempt: `B imports a 5 MB GIFT file the grammar is slow on${SLOW_IMPORTERS.length > 1 ? `, ${SLOW_IMPORTERS.length} at once` : ''} (parse budget 3 s, the default)`,
          sent: SLOW_IMPORTERS.length,
          result: `refused in ${figures.slowGiftMs.map((x) => ms(x)).join(' and ')} (${[...new Set(figures.slowGiftWhy)].join('; ')}); A's slowest ack meanwhile ${ms(figures.aMaxAckDuringSlow)}`,
        });
      };

      const schedules = async () => {
        const intoA = b(await bDiscord.command('adminmallory1', 0, 'quiz-admin schedule', { time, timezone: 'UTC', channel: aChannels[0]!.id }));
        const own = b(await bDiscord.command('adminmallory1', 0, 'quiz-admin schedule', { time, timezone: 'UTC' }));
        const slackIntoA = b(await bSlack.command(B_SLACK_ADMIN, B_SLACK_CHANNEL, 'quiz-admin schedule', { time, timezone: 'UTC', channel: slackChannelId(0) }));
        const slackOwn = b(await bSlack.command(B_SLACK_ADMIN, B_SLACK_CHANNEL, 'quiz-admin schedule', { time, timezone: 'UTC' }));
        const refused = [intoA, slackIntoA].filter((s) => /There is no channel/.test(s.text)).length;
        if (refused !== 2) problems.push(`B's schedules into A's channels: ${intoA.text.slice(0, 120)} | ${slackIntoA.text.slice(0, 120)}`);
        for (const s of [own, slackOwn]) if (!/Daily quiz scheduled/.test(s.text)) problems.push(`B's schedule in its own channel: ${s.text.slice(0, 200)}`);
        rows.push({ rank: 4, attempt: `B schedules the daily post at ${time} UTC into A's channel (Discord, Slack)`, sent: 2, result: `${refused} refused: "There is no channel … in this server that the bot can see"` });
      };

      const intoAsBanks = async () => {
        await aBank.promise;
        const attempts: [string, Record<string, string>, string][] = [
          ["A's bank id", { bank: 'team-a' }, victimBank('sec-into-a', 2).replaceAll(VICTIM, PHISH)],
          ["A's question ids", { bank: 'mallory-two' }, victimBank('victim', 2).replaceAll(VICTIM, PHISH)],
          ['a lesson question id', { bank: 'mallory-three' }, csv([HEADER, [CONTENT_QUESTION, `${PHISH} Sign in again.`, 'Yes', 'No', 'Maybe', 'A', 'x']])],
        ];
        // A's bank id is refused; question ids belong to their bank, so B's file with A's ids makes
        // B's own bank, applied, and A's questions stay A's (the leak checks read A's texts and banks).
        let refused = 0;
        let keptApart = 0;
        const reasons = new Set<string>();
        for (const [what, options, file] of attempts) {
          const seen = b(await bDiscord.command('adminmallory2', 3, 'quiz-admin import', options, { file: { name: 'update.csv', content: file } }));
          const apply = seen.buttons.find((x) => x.id.startsWith('import.apply:'));
          // The reason as shown, without the file and line it names.
          const reason = seen.text.split('\n').find((l) => l.startsWith('•'));
          if (what === "A's bank id") {
            if (reason) reasons.add(`"${reason.replace(/^• [^:]+(:\d+)?: (question \d+: )?/, '').replace(/'[^']*'/g, '…')}"`);
            if (/Import refused/.test(seen.text) && !apply) refused++;
            else problems.push(`B's import into ${what} was not refused: ${seen.text.slice(0, 200)}`);
          } else if (apply && /Import applied/.test(b(await bDiscord.press('adminmallory2', seen, apply)).text)) {
            keptApart++;
          } else {
            problems.push(`B's import with ${what} did not make B's own bank: ${seen.text.slice(0, 200)}`);
          }
        }
        rows.push({
          rank: 9,
          attempt: "B imports into A's bank id, with A's question ids, with a lesson question's id",
          sent: attempts.length,
          result: `A's bank id: ${refused} refused (${[...reasons].join(', ')}); A's and a lesson's question ids: ${keptApart} imported into B's own banks (ids belong to their bank), A's questions unchanged`,
        });
      };

      const aButtons = async () => {
        const draft = await aDraft.promise;
        const ids = draft.buttons.filter((x) => /^import\.(apply|cancel):/.test(x.id));
        let refused = 0;
        let sent = 0;
        for (const button of ids) {
          const seen = [b(await bDiscord.pressId('adminmallory3', 4, button.id)), b(await bSlack.press(B_SLACK_ADMIN, B_SLACK_CHANNEL, button))];
          for (const s of seen) {
            sent++;
            if (/Import not available/.test(s.text)) refused++;
            else problems.push(`B pressed A's ${button.label}: ${s.text.slice(0, 200)}`);
          }
        }
        bPressedDraft.resolve();
        rows.push({ rank: 6, attempt: "B presses A's import preview buttons (Apply, Cancel) on Discord and Slack", sent, result: `${refused} refused: "Import not available" (the answer for a preview that does not exist)` });

        const posts = await aRacePosts.promise;
        let raceSent = 0;
        let raceRefused = 0;
        const presses: (() => Promise<Seen>)[] = [];
        for (const post of posts.discord) for (const button of post.buttons) for (let k = 0; k < RACE_PRESSES; k++) presses.push(() => bDiscord.pressId(`mallory-racer${k}`, 5, button.id));
        for (const post of posts.slack) for (const button of post.buttons) for (let k = 0; k < RACE_PRESSES; k++) presses.push(() => bSlack.press(`UMALLORYRACER${k}`, B_SLACK_CHANNEL, button));
        // Spread over time: the presses must meet the tenant check, not the click limit.
        await pool(presses, 4, async (press) => {
          const seen = b(await press());
          raceSent++;
          if (/This round is closed/.test(seen.text)) raceRefused++;
          else if (!/Slow down/.test(seen.text)) problems.push(`B pressed A's race button: ${seen.text.slice(0, 200)}`);
          await sleep(200);
        });
        rows.push({ rank: 8, attempt: `B presses every button of A's ${posts.discord.length + posts.slack.length} open race rounds, ${RACE_PRESSES} players each`, sent: raceSent, result: `${raceRefused} refused: "This round is closed." (another tenant's race does not exist)` });
      };

      const lists = async () => {
        await phishLive.promise;
        await aBank.promise;
        const list = b(await bDiscord.command('adminmallory4', 0, 'quiz-admin imports'));
        if (!list.text.includes(PHISH_BANK)) problems.push(`B's import list lacks B's import: ${list.text.slice(0, 200)}`);
        const slackList = b(await bSlack.command(B_SLACK_ADMIN, B_SLACK_CHANNEL, 'quiz-admin imports'));
        bImported.resolve();
        rows.push({ rank: 3, attempt: '`/quiz-admin imports` in B (Discord, Slack) and in A', sent: 3, result: `B's lists: ${[list, slackList].filter((s) => !/team-a/.test(s.text)).length} of 2 without A's imports; A's list is among A's texts (row 1)` });
      };

      // B's admins import one file after another: the bot reads one file per server at a time (a
      // second one at once is refused), and the slow file is to meet the time budget, not that rule.
      const bImports = async () => {
        await bankPhish();
        await intoAsBanks();
        await slowImports();
      };
      await Promise.all([bImports(), schedules(), aButtons(), lists()]);
    };

    // ---- Tenant B's members: the paths that cost memory or time ----
    const hostileMembers = async () => {
      const zones = async () => {
        await pool(Array.from({ length: TZ_MEMBERS }, (_, m) => m), 12, async (m) => {
          for (let k = 0; k < TZ_PER_MEMBER; k++) {
            const spelling = zoneSpelling(1 + m * TZ_PER_MEMBER + k);
            const seen = b(await bDiscord.command(`mallory-tz${m}`, 6 + (m % 6), 'settings', { timezone: spelling }));
            if (/Your time zone is now/.test(seen.text) && CANONICAL_ZONE.test(seen.text)) figures.tz.ok++;
            else if (/Slow down/.test(seen.text)) figures.tz.limited++;
            else figures.tz.other.push(seen.text.slice(0, 120));
          }
        });
        rows.push({ rank: 10, attempt: `B's members set their time zone to ${(TZ_MEMBERS * TZ_PER_MEMBER).toLocaleString('en')} case variants of ${ZONE}`, sent: TZ_MEMBERS * TZ_PER_MEMBER, result: `${figures.tz.ok} set (to the one canonical zone), ${figures.tz.limited} rate-limited, ${figures.tz.other.length} other` });
      };

      const soloRaces = async () => {
        for (let k = 0; k < SOLO_RACES; k++) {
          const channel = 12 + k;
          b(await bDiscord.command('mallory-farmer', channel, 'quiz race', { rounds: 1 }));
          const post = await bDiscord.channelPost(channel, 'ra:');
          if (!post) throw new Error(`B's solo race ${k} posted no round`);
          const seen = b(await bDiscord.press('mallory-farmer', post, post.buttons[Math.floor(Math.random() * post.buttons.length)]!));
          if (/Right/.test(seen.text)) figures.farmerRight++;
          // Under the click limit: farming, not flooding.
          await sleep(2 * (1000 / PER_SECOND));
        }
      };

      const flood = async () => {
        const quiz = b(await bDiscord.command('mallory-flood', 7, 'quiz start'));
        const button = quiz.buttons.find((x) => x.id.startsWith('qa:'));
        if (!button) throw new Error(`no question for B's flood: ${quiz.text.slice(0, 200)}`);
        const started = performance.now();
        await pool(Array.from({ length: FLOOD }, (_, i) => i), 50, async () => {
          try {
            const seen = b(await bDiscord.press('mallory-flood', quiz, button));
            if (/Slow down/.test(seen.text)) figures.flood.limited++;
          } catch (err) {
            if (!(err instanceof NoAnswer)) throw err;
            figures.flood.errors++;
          }
        });
        figures.flood.seconds = (performance.now() - started) / 1000;
        rows.push({ rank: 13, attempt: `B's member clicks an answer ${FLOOD.toLocaleString('en')} times, 50 at once`, sent: FLOOD, result: `${figures.flood.limited} answered "Slow down a little" (burst ${BURST}, ${PER_SECOND}/s) in ${figures.flood.seconds.toFixed(1)} s; ${figures.flood.errors} unanswered` });
      };

      const dmFiles = async () => {
        for (let k = 0; k < DM_FILES; k++) await bSlack.shareFileInDm(`UMALLORY${k}`, `DMALLORY${k}`, { id: `FMALLORY${k}`, name: `invoice-${k}.csv` });
        await platforms.slack.until(() => (platforms.slack.callsTo('chat.postMessage').filter((c) => String(c.params.channel).startsWith('DMALLORY')).length >= DM_FILES ? true : undefined), "the answers to B's files", 30_000);
        const replies = platforms.slack.callsTo('chat.postMessage').filter((c) => String(c.params.channel).startsWith('DMALLORY'));
        figures.dmReplies = replies.filter((c) => /is for admins only/.test(JSON.stringify(c.params))).length;
        const described = platforms.slack.callsTo('files.info').filter((c) => String(c.params.file).startsWith('FMALLORY')).length;
        rows.push({ rank: 14, attempt: "B's members (not admins) share files with the bot in direct messages (Slack)", sent: DM_FILES, result: `${figures.dmReplies} answered "is for admins only"; files looked up or downloaded: ${described}` });
        return described;
      };

      const [, , , described] = await Promise.all([zones(), soloRaces(), flood(), dmFiles()]);
      return described;
    };

    const started = performance.now();
    const [load, , , described] = await Promise.all([aLoad, victim(), hostileAdmin(), hostileMembers()]);
    const attackSeconds = (performance.now() - started) / 1000;

    // The daily posts fire at `time`; races close ROUND_SECONDS after they start.
    await sleep(Math.max(0, at.getTime() - Date.now()));
    const bDaily = await bDiscord.channelPost(0, 'qs', 15_000);
    const bSlackDaily = await platforms.slack.until(() => [...platforms.slack.messages.values()].find((m) => m.channel === B_SLACK_CHANNEL && buttonsIn(m.blocks).some((x) => x.action_id === 'qs')), "B's Slack daily post", 15_000).catch(() => undefined);
    // A post into A's channels would have gone out with B's own.
    await sleep(1000);
    const open = () => [...platforms.discord.state.messages.values()].filter((m) => buttonsOf(m).some((x) => String(x.custom_id).startsWith('ra:')) && !m.interaction_metadata && m.content !== 'forwarded').length;
    await platforms.discord.waitFor(() => (open() === 0 ? true : undefined), 'every race round to close', (ROUND_SECONDS + 10) * 1000).catch(() => undefined);
    const rssAfterMb = rssMb(bot.pid!);
    const { peakMb } = rss.stop();
    harnessLag.disable();
    // Read once, so the lag is the longest since the bot started.
    const metrics = await botMetrics(metricsPort);
    const metricsRssMb = (metrics.get('quizbot_process_resident_memory_bytes') ?? NaN) / 1024 / 1024;
    const botLagMs = (metrics.get('quizbot_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000;

    // ---- What A was shown, and what B was ----
    const aTexts = [...discordChannelTexts(platforms.discord, aChannels), ...slackTexts(platforms, { channel: (id) => id.startsWith('CEVIL') || id.startsWith('DMALLORY'), hook: (h) => h.startsWith('evil') })];
    const bNeedles = [PHISH, PHISH_BANK, 'discord-account-verify', 'mallory'];
    const aLeaks = aSeeing.leaks(bNeedles, aTexts);
    const bTexts = [...discordChannelTexts(platforms.discord, bChannels), ...slackTexts(platforms, { channel: (id) => !(id.startsWith('CEVIL') || id.startsWith('DMALLORY')), hook: (h) => !h.startsWith('evil') })];
    const bLeaks = bSeeing.leaks([VICTIM, 'adminalice', 'team-a.csv', 'team-a-extra'], bTexts);
    const dailyInA = [
      ...aChannels.flatMap((c) => platforms.discord.channelPosts(c)).filter((m) => buttonsOf(m).some((x) => x.custom_id === 'qs')),
      ...[...platforms.slack.messages.values()].filter((m) => !m.channel.startsWith('CEVIL') && buttonsIn(m.blocks).some((x) => x.action_id === 'qs')),
    ].length;

    // ---- The database: nothing of B's landed in A ----
    const db = new Database(dbPath, { readonly: true });
    const one = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const bUserIds = JSON.stringify([
      ...['mallory-farmer', ...Array.from({ length: RACE_PRESSES }, (_, k) => `mallory-racer${k}`)].map((n) => bDiscord.idOf(n)),
      ...Array.from({ length: RACE_PRESSES }, (_, k) => `UMALLORYRACER${k}`),
      B_SLACK_ADMIN,
    ]);
    const bAnswersInA = one(
      `SELECT count(*) n FROM race_answers ra JOIN races r ON r.id = ra.race_id JOIN users u ON u.id = ra.user_id
       WHERE r.server_id NOT IN (?, ?) AND u.external_id IN (SELECT value FROM json_each(?))`,
      bGuildId,
      B_TEAM,
      bUserIds,
    );
    const farmerPoints = one('SELECT coalesce(sum(a.points), 0) n FROM awards a JOIN users u ON u.id = a.user_id WHERE u.platform = ? AND u.external_id = ?', 'discord', bDiscord.idOf('mallory-farmer'));
    const farmerRaceAnswers = one('SELECT count(*) n FROM race_answers ra JOIN users u ON u.id = ra.user_id WHERE u.external_id = ?', bDiscord.idOf('mallory-farmer'));
    // B's prompt may stand in any of B's own banks, never in a global one or another tenant's.
    const phishOutsideB = one('SELECT count(*) n FROM questions WHERE body LIKE ? AND (tenant IS NULL OR tenant != ?)', `%${PHISH}%`, `discord:${bGuildId}`);
    const schedulesIntoA = one('SELECT count(*) n FROM schedules WHERE (server_id = ? AND channel_id = ?) OR (server_id = ? AND channel_id = ?)', bGuildId, aChannels[0]!.id, B_TEAM, slackChannelId(0));
    db.close();

    rows.push({ rank: 12, attempt: `B's member starts ${SOLO_RACES} races alone and answers each`, sent: SOLO_RACES * 2, result: `${figures.farmerRight} right answers, ${farmerRaceAnswers} stored; points awarded: ${farmerPoints} (races pay with two players or more)` });
    rows.push({
      rank: 1,
      attempt: `A's quizzes (${figures.probeQuizzes}) and races (${figures.probeRaces}) in lesson ${LESSON} once B's bank is live, beside A's load`,
      sent: figures.probeQuizzes + figures.probeRaces,
      result: `B's prompt shown in A: ${aLeaks.filter((t) => t.includes(PHISH)).length} times; texts of A with anything of B (prompt, link, bank, names): ${aLeaks.length} of ${(aSeeing.shown.length + aTexts.length).toLocaleString('en')}`,
    });
    rows.push({ rank: 5, attempt: `Daily posts at ${time} UTC`, sent: 2, result: `B's own channels: Discord ${bDaily ? 1 : 0}, Slack ${bSlackDaily ? 1 : 0}; A's channels: ${dailyInA}` });

    recordSection({
      id: 'tenants',
      title: 'Tenants',
      intro: `Two tenants on one bot. A (a Discord server and a Slack workspace) runs the load harness: ${LOAD.users.toLocaleString('en')} users take their daily quiz while ${LOAD.races} races run. Meanwhile B (another Discord server and another Slack workspace) attacks: its admins import a bank of phishing prompts and try every way into A, its members try the paths that cost the bot memory or time. A's texts are everything the fakes hold for A's channels (messages, edits, ephemeral answers, response_url posts) and everything A's users were shown; they are searched for B's prompt, bank, link and names. Rounds last ${ROUND_SECONDS} s; click limit burst ${BURST}, ${PER_SECOND}/s.`,
      columns: ['Attempt', 'Sent', 'Result'],
      rows: [...rows].sort((x, y) => x.rank - y.rank).map((r) => [r.attempt, r.sent, r.result]),
      notes: [
        `A's load: ${load.interactions.toLocaleString('en')} interactions in ${load.seconds.toFixed(1)} s (attack ${attackSeconds.toFixed(1)} s); ack p50 / p99 / max: Discord ${ms(percentile(load.ackMs.discord, 50))} / ${ms(percentile(load.ackMs.discord, 99))} / ${ms(Math.max(...load.ackMs.discord))}, Slack ${ms(percentile(load.ackMs.slack, 50))} / ${ms(percentile(load.ackMs.slack, 99))} / ${ms(Math.max(...load.ackMs.slack))}; **missed 3 s deadlines: ${load.deadlineMisses}**; errors: ${load.errors.length}.`,
        `B's ${bAcks.length.toLocaleString('en')} interactions: ack p99 ${ms(percentile(bAcks, 99))}, over 3 s: ${bAcks.filter((x) => x > ACK_DEADLINE_MS).length}.`,
        `Leaks: **${aLeaks.length}** texts of A with anything of B; ${bLeaks.length} texts of B with anything of A; B's race answers stored in A's races: ${bAnswersInA}; B's prompt in any bank not B's: ${phishOutsideB}; schedules of B in A's channels: ${schedulesIntoA}.`,
        `Bot memory (RSS, /proc): ${Math.round(rssStartMb)} MB at the start, peak ${Math.round(peakMb)} MB (sampled every 250 ms), **${Math.round(rssAfterMb)} MB after the attack** (bound ${RSS_LIMIT_MB} MB; /metrics says ${Math.round(metricsRssMb)} MB).`,
        `Longest event-loop stall: the bot ${ms(botLagMs)}; the harness, which plays every user of both tenants in one process, ${ms(harnessLag.max / 1e6)}.`,
      ],
    });

    expect(aLeaks).toEqual([]);
    expect(bLeaks).toEqual([]);
    expect(problems).toEqual([]);
    expect(load.errors).toEqual([]);
    expect(load.deadlineMisses).toBe(0);
    expect(rssAfterMb).toBeLessThan(RSS_LIMIT_MB);
    expect(bAnswersInA).toBe(0);
    expect(phishOutsideB).toBe(0);
    expect(schedulesIntoA).toBe(0);
    expect(dailyInA).toBe(0);
    expect(bDaily).toBeDefined();
    expect(bSlackDaily).toBeDefined();
    expect(farmerPoints).toBe(0);
    expect(figures.tz.other).toEqual([]);
    expect(figures.tz.ok).toBeGreaterThan(TZ_MEMBERS * TZ_PER_MEMBER * 0.9);
    expect(figures.flood.errors).toBe(0);
    expect(FLOOD - figures.flood.limited).toBeLessThanOrEqual(BURST + Math.ceil(figures.flood.seconds * PER_SECOND) + 1);
    expect(figures.dmReplies).toBe(DM_FILES);
    expect(described).toBe(0);
    expect(figures.slowGiftMs).toHaveLength(SLOW_IMPORTERS.length);
  });
});
