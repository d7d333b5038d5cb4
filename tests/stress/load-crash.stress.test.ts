import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StressBot } from './harness/bot.js';
import { scratchDir } from './harness/dirs.js';
import { ms, percentile } from './harness/figures.js';
import { checkLedger } from './harness/ledger.js';
import { runLoad, type LoadPlan } from './harness/load.js';
import { TEAM } from '../fakes/slack/payloads.js';
import { ACK_DEADLINE_MS, Platforms, SECOND_TEAM, type DiscordMode, type SlackOAuthOptions } from './harness/platforms.js';
import { recordSection } from './harness/report.js';

/**
 * A busy morning on both platforms at once, then the same traffic while the bot is SIGKILLed at
 * random points and restarted: nothing a user saw confirmed may be lost or counted twice. Both
 * runs are made twice: with Discord over the gateway, and with Discord over HTTP (signed POSTs
 * to the bot's PORT, where Slack's requests arrive too).
 */

const LOAD: LoadPlan = { users: 2000, channels: 25, races: 20, raceClickers: 40, steps: 3, concurrency: 48, waitMs: 20_000, attempts: 1 };
const CRASH: LoadPlan = { users: 300, channels: 10, races: 4, raceClickers: 20, steps: 7, concurrency: 32, waitMs: 6_000, attempts: 60 };
const KILLS = 4;

/**
 * One bot process on a fresh database against fresh Discord and Slack fakes, for a describe block.
 * On Slack, two workspaces install the bot by OAuth before the run, each with its own token.
 */
function botOnFakes(prefix: string, plan: LoadPlan, slackOAuth: SlackOAuthOptions, discord: DiscordMode): { platforms: Platforms; bot: StressBot; dbPath: string; scratch: string } {
  const scratch = scratchDir(prefix);
  const run = { scratch: scratch.path } as { platforms: Platforms; bot: StressBot; dbPath: string; scratch: string };
  beforeAll(async () => {
    run.platforms = await Platforms.start(plan.channels + plan.races / 2, { slackOAuth, discord });
    run.dbPath = join(scratch.path, 'bot.sqlite');
    run.bot = new StressBot(run.platforms.env(run.dbPath, { RACE_ROUND_SECONDS: '600' }));
    await run.bot.start();
    await run.platforms.installSlack();
  });
  afterAll(async () => {
    await run.bot?.stop();
    await run.platforms?.stop();
    scratch.cleanup();
  });
  return run;
}

/** The second workspace's first token is due for rotation: the load's first requests there refresh it, once. */
const WORKSPACES: SlackOAuthOptions = { teams: [TEAM.id, SECOND_TEAM], rotating: [SECOND_TEAM] };

/** How many Web API calls the bot made with each workspace's token. */
function callsPerWorkspace(platforms: Platforms): string {
  return platforms.slackTeams.map((t) => `${t} ${platforms.slack.calls.filter((c) => c.team === t).length}`).join(', ');
}

for (const discord of ['gateway', 'http'] as const) {
  const overHttp = discord === 'http';
  const on = overHttp ? 'Discord over HTTP' : 'Discord';
  const suffix = overHttp ? '-http' : '';

  describe(`load: 2,000 users in 50 channels and 20 races on ${on} and two Slack workspaces at once`, () => {
    const run = botOnFakes(`quizbot-stress-load${suffix}-`, LOAD, WORKSPACES, discord);

    it('answers every interaction, within the 3 s deadline, and the ledger adds up', async () => {
      const load = await runLoad(run.platforms, LOAD);
      const refusals = run.platforms.discordRefusals();
      expect(await run.bot.stop()).toBe(0);
      const ledger = checkLedger(run.dbPath, load.quizAcks, load.raceAcks);
      const tokenProblems = run.platforms.slackTokenProblems();
      const refreshes = run.platforms.slack.callsTo('oauth.v2.access').filter((c) => c.params.grant_type === 'refresh_token').length;
      const all = [...load.ackMs.discord, ...load.ackMs.slack];
      const row = (name: string, values: number[]) => [name, values.length, ms(percentile(values, 50)), ms(percentile(values, 99)), ms(Math.max(...values)), values.filter((v) => v > ACK_DEADLINE_MS).length];
      recordSection({
        id: `load${suffix}`,
        title: overHttp ? 'Load, Discord over HTTP' : 'Load',
        intro: `${LOAD.users.toLocaleString('en')} users (half on ${on}, half on Slack, there split between two workspaces that installed the bot by OAuth) in ${LOAD.channels * 2} channels take their daily quiz (/quiz, answer, Next) while ${LOAD.races} races run in channels of their own (${LOAD.raceClickers} players each), through one bot process, ${LOAD.concurrency} users mid-journey at a time. Acknowledgement latency: ${overHttp ? 'Discord, signed POST to the interactions endpoint → its HTTP response' : 'Discord, gateway dispatch → interaction callback'}; Slack, request → HTTP response.`,
        columns: ['Platform', 'Interactions', 'p50 ack', 'p99 ack', 'max ack', 'Missed 3 s deadline'],
        rows: [
          row(run.platforms.label('discord'), load.ackMs.discord),
          row('Slack', load.ackMs.slack),
          row('Both', all),
        ],
        notes: [
          `Throughput: **${Math.round(load.interactions / load.seconds)} interactions/s** (${load.interactions.toLocaleString('en')} interactions in ${load.seconds.toFixed(1)} s).`,
          `Errors: **${load.errors.length}**; requests the fake Discord refused (late or invalid callbacks${overHttp ? ' or HTTP responses' : ''}): **${refusals.length}**; rate-limited: ${load.rateLimited}.`,
          `Ledger after the run: ${ledger.quizAcksChecked} graded quiz answers and ${ledger.raceAcksChecked} race answers checked, ${ledger.problems.length} problems, integrity_check ${ledger.integrity}.`,
          `Slack tokens: Web API calls per workspace ${callsPerWorkspace(run.platforms)}; calls with another workspace's token or an invalid one: **${tokenProblems.length}**; token refreshes of the rotating workspace: ${refreshes}.`,
        ],
      });
      expect(load.errors).toEqual([]);
      expect(refusals).toEqual([]);
      expect(load.deadlineMisses).toBe(0);
      expect(load.rateLimited).toBe(0);
      expect(load.interactions).toBe(LOAD.users * LOAD.steps + LOAD.races * (1 + LOAD.raceClickers));
      expect(ledger.problems).toEqual([]);
      expect(load.quizAcks.length).toBe(LOAD.users);
      expect(tokenProblems).toEqual([]);
      expect(refreshes).toBe(1);
      for (const team of run.platforms.slackTeams) expect(run.platforms.slack.calls.some((c) => c.team === team && c.method === 'chat.postMessage'), team).toBe(true);
    });
  });

  describe(`crash: SIGKILL at random points under load, then restart (${on})`, () => {
    // No rotation here: a kill between Slack's refresh and storing its answer would lose the workspace's token.
    const run = botOnFakes(`quizbot-stress-crash${suffix}-`, CRASH, { teams: [TEAM.id, SECOND_TEAM] }, discord);

    it('loses no acknowledged answer, counts no award twice, keeps the database sound and resumes quizzes', async () => {
      const total = CRASH.users * CRASH.steps + CRASH.races * (1 + CRASH.raceClickers);
      // Kill points: random, spread over the run, so kills land mid-write, mid-reply and mid-commit alike.
      const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor(total * ((k + 0.3 + Math.random() * 0.5) / (KILLS + 1))));
      const killedAt: number[] = [];
      let restarting: Promise<void> = Promise.resolve();
      const load = await runLoad(run.platforms, CRASH, (done) => {
        if (killedAt.length < killAt.length && done >= killAt[killedAt.length]! && run.bot.running) {
          killedAt.push(done);
          restarting = restarting.then(async () => {
            await run.bot.kill();
            await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
            await run.bot.start();
          });
        }
      });
      await restarting;
      expect(killedAt).toHaveLength(KILLS);
      expect(load.errors).toEqual([]);

      // In-progress quizzes resume where they stopped: /quiz again picks up at the stored position.
      const reader = new Database(run.dbPath, { readonly: true });
      const open = reader
        .prepare(
          `SELECT u.platform, u.external_id ext, s.position, length(s.question_ids) - length(replace(s.question_ids, ',', '')) + 1 total
           FROM quiz_sessions s JOIN users u ON u.id = s.user_id WHERE s.finished_at IS NULL AND s.position > 0 LIMIT 20`,
        )
        .all() as { platform: 'discord' | 'slack'; ext: string; position: number; total: number }[];
      reader.close();
      expect(open.length).toBeGreaterThan(0);
      const names = new Map([...load.userNames.discord, ...load.userNames.slack].flatMap((n) => (['discord', 'slack'] as const).map((p) => [`${p}:${run.platforms.externalId(p, n)}`, n] as const)));
      let resumed = 0;
      for (const s of open) {
        const name = names.get(`${s.platform}:${s.ext}`)!;
        const seen = await run.platforms.client(s.platform).command(name, 0, 'quiz start');
        expect(seen.text).toContain('Picking up where you left off.');
        expect(seen.text).toContain(`question ${s.position + 1} of ${s.total}`);
        resumed++;
      }
      expect(await run.bot.stop()).toBe(0);

      const ledger = checkLedger(run.dbPath, load.quizAcks, load.raceAcks);
      const tokenProblems = run.platforms.slackTokenProblems();
      // The checker itself: a dropped write and a replayed answer in a copy are both caught.
      const copy = join(run.scratch, 'copy.sqlite');
      copyFileSync(run.dbPath, copy);
      for (const ext of ['-wal', '-shm']) if (existsSync(run.dbPath + ext)) copyFileSync(run.dbPath + ext, copy + ext);
      const victim = load.quizAcks[Math.floor(load.quizAcks.length / 2)]!;
      const tamper = new Database(copy);
      tamper.prepare('DELETE FROM session_answers WHERE session_id = ? AND position = ?').run(victim.sessionId, victim.position);
      const someone = tamper.prepare('SELECT user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day FROM reviews LIMIT 1').get() as Record<string, unknown>;
      tamper.prepare('INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day) VALUES (@user_id, @question_id, @rating, @correct, @was_due, @was_new, @answered_at, @local_day)').run(someone);
      tamper.close();
      const caught = checkLedger(copy, load.quizAcks, load.raceAcks).problems;

      recordSection({
        id: `crash${suffix}`,
        title: overHttp ? 'Crash, Discord over HTTP' : 'Crash',
        intro: `${CRASH.users} users and ${CRASH.races} races on ${on} and two Slack workspaces (installed by OAuth once, before the first start) while the bot is killed with SIGKILL ${KILLS} times at random points (after interactions ${killedAt.join(', ')} of ${total}) and started again on the same database. An answer counts as acknowledged when the user saw it graded (Discord: ${overHttp ? 'the HTTP response' : 'the callback'} or the edited reply; Slack: the message posted to the response_url, since Slack's HTTP 200 comes before the work).`,
        columns: ['Check', 'Result'],
        rows: [
          ['SIGKILLs and restarts', `${killedAt.length} (bot starts: ${run.bot.starts})`],
          ['Interactions answered', load.interactions],
          ['Tries lost to a kill and made again', load.retries],
          ['Retried answers found already saved ("you already answered")', load.alreadyAnswered],
          ['Acknowledged quiz answers checked', ledger.quizAcksChecked],
          ['Acknowledged race answers checked', ledger.raceAcksChecked],
          ['Acknowledged answers missing or stored twice', ledger.problems.filter((p) => /stored|saw/.test(p)).length],
          ['Award keys counted twice', ledger.duplicateAwardKeys],
          ['Awards vs scored answers vs leaderboard totals', ledger.problems.some((p) => /awards|leaderboard/.test(p)) ? 'MISMATCH' : 'equal'],
          ['PRAGMA integrity_check', ledger.integrity],
          ['Unfinished quizzes resumed at their position', `${resumed} of ${open.length}`],
          ["Slack calls with another workspace's token or an invalid one", `${tokenProblems.length} (Web API calls per workspace: ${callsPerWorkspace(run.platforms)})`],
          ['Self-check: one acknowledged row deleted and one review replayed in a copy', `${caught.length} problems reported`],
        ],
      });
      expect(ledger.problems).toEqual([]);
      expect(ledger.integrity).toBe('ok');
      expect(tokenProblems).toEqual([]);
      expect(ledger.quizAcksChecked).toBeGreaterThan(CRASH.users);
      expect(caught.some((p) => p.includes(`${victim.sessionId}#${victim.position} stored 0 times`))).toBe(true);
      expect(caught.some((p) => /quiz answers but \d+ reviews/.test(p))).toBe(true);
    });
  });
}
