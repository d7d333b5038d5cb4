import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import type { Actor, Post, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { DUE_ROUNDS_SQL, tickRaces } from '../src/core/quiz/race.js';
import { quizStore } from '../src/core/quiz/store.js';
import { tenantOf } from '../src/core/tenant.js';
import { bankChoices } from '../src/core/quiz/banks.js';
import { placeOf } from '../src/platforms/discord/translate.js';
import { as, buttons, appsWithPosts } from './helpers/app.js';
import { questionShown, rightLabels } from './helpers/answers.js';

/**
 * Tenants are isolated: a Discord server's admin (anyone can make a server and be its admin) can
 * change nothing that another server's members see.
 */

const makeSetup = appsWithPosts('discord');
const setup = (env: Record<string, string> = {}) =>
  makeSetup({ NEW_CARDS_PER_DAY: '200', QUIZ_MAX_CARDS: '200', RACE_ROUND_SECONDS: '20', RATE_LIMIT_BURST: '1000', ...env });

const member = (id: string, name = id, isAdmin = false): Actor => ({ platform: 'discord', userId: id, displayName: name, isAdmin });
const PHISH = 'ACME staff: re-enter your SSO password at evil.example before answering';

function phishingBank(id = 'acme-security'): Buffer {
  return Buffer.from(
    [
      `id: ${id}`,
      'title: Security refresher',
      'questions:',
      '  - id: acme-sso',
      '    type: single',
      `    prompt: "${PHISH}"`,
      '    choices: [Done, Not yet]',
      '    answer: Done',
      '    explanation: Thanks.',
      '',
    ].join('\n'),
  );
}

/** Imports a file in a server as its admin and presses Apply; returns the preview and the result. */
async function importIn(app: App, server: string, admin: Actor, file: Buffer, name = 'bank.yaml') {
  const session = as(app, admin, 'admin-channel', server);
  const preview = await session.command('quiz-admin import', { file: { name, load: async () => file } });
  const apply = buttons(preview).find((b) => b.label === 'Apply import');
  return { preview, apply, applied: apply ? await session.action(apply.actionId) : undefined };
}

const texts = (replies: (Reply | Post)[]) => replies.map((r) => ('reply' in r ? plainText(r.reply.text) : plainText(r.text))).join('\n');

describe('banks imported in chat belong to their server', () => {
  it('are never asked, raced, listed or changed in another server', async () => {
    const { app, clock, posts } = setup();
    const evil = member('666', 'mallory', true);
    const { applied } = await importIn(app, 'evil-server', evil, phishingBank());
    expect(applied?.title).toBe('Import applied');

    // The importing server asks it…
    const own = await as(app, member('667', 'eve'), 'general', 'evil-server').command('quiz');
    expect(quizQuestionIds(app, own)).toContain('acme-sso');

    // …another server never does: not in a daily quiz of every new question, nor in 20 races.
    const victim = as(app, member('100', 'alice'), 'general', 'victim-server');
    const quiz = await victim.command('quiz');
    expect(quizQuestionIds(app, quiz)).not.toContain('acme-sso');
    expect(quizQuestionIds(app, quiz).length).toBeGreaterThan(10);
    for (let i = 0; i < 20; i++) {
      await as(app, member('100', 'alice'), `race-${i}`, 'victim-server').command('quiz race', { rounds: 10 });
    }
    const raceRows = new Database(app.services.config.DATABASE_PATH, { readonly: true })
      .prepare("SELECT question_ids ids FROM races WHERE server_id = 'victim-server'")
      .all() as { ids: string }[];
    expect(raceRows).toHaveLength(20);
    expect(raceRows.flatMap((r) => JSON.parse(r.ids) as string[])).not.toContain('acme-sso');
    expect(texts(posts)).not.toContain('evil.example');
    clock.advance(25_000);
    tickRaces(app.services, clock.now());

    // The import log is per server.
    const victimAdmin = as(app, member('101', 'vera', true), 'general', 'victim-server');
    expect(plainText((await victimAdmin.command('quiz-admin imports')).text)).toBe('No imports yet. Use /quiz-admin import with a file.');
    expect(plainText((await as(app, evil, 'general', 'evil-server').command('quiz-admin imports')).text)).toContain('acme-security');

    // Another server cannot update or retire the bank by importing over its id (nor learn whose it is).
    const takeover = await importIn(app, 'victim-server', member('101', 'vera', true), phishingBank(), 'takeover.yaml');
    expect(takeover.apply).toBeUndefined();
    expect(plainText(takeover.preview.text)).toContain("bank id 'acme-security' is taken: choose another bank id");
    expect(plainText(takeover.preview.text)).not.toContain('evil-server');

    // Option suggestions (Discord's autocomplete) name only the banks a server sees.
    expect(bankChoices(app.services, tenantOf('discord', { serverId: 'victim-server' })).map((b) => b.id)).not.toContain('acme-security');
    expect(bankChoices(app.services, tenantOf('discord', { serverId: 'evil-server' })).map((b) => b.id)).toContain('acme-security');

    // A report about another server's question is refused as if it did not exist.
    expect(plainText((await victim.action('qrep:acme-sso', { text: 'phishing!' })).text)).toBe('This question no longer exists.');
  });

  it('refuses an Apply button pressed in another server', async () => {
    const { app } = setup();
    const evil = member('666', 'mallory', true);
    const preview = await as(app, evil, 'admin-channel', 'evil-server').command('quiz-admin import', { file: { name: 'bank.yaml', load: async () => phishingBank() } });
    const apply = buttons(preview).find((b) => b.label === 'Apply import')!;
    const pressed = await as(app, member('101', 'vera', true), 'general', 'victim-server').action(apply.actionId);
    expect(pressed.title ?? pressed.text).not.toBe('Import applied');
    const db = new Database(app.services.config.DATABASE_PATH, { readonly: true });
    expect(db.prepare("SELECT count(*) n FROM banks WHERE id = 'acme-security'").get()).toEqual({ n: 0 });
  });
});

/** The question ids of a quiz session shown in a reply (read from the session row). */
function quizQuestionIds(app: App, reply: Reply): string[] {
  const sessionId = buttons(reply)
    .map((b) => /^qa:([\w-]+):/.exec(b.actionId)?.[1])
    .find(Boolean);
  if (!sessionId) return [];
  return quizStore(app.services).session(sessionId)?.questionIds ?? [];
}

describe('schedules post only in their own server', () => {
  it('refuses a channel of another server, and the outbox never posts there', async () => {
    const { app, posts } = setup();
    // The platform knows which server each channel is in.
    const guildOf: Record<string, string> = { '111111111111111111': 'victim-server', '222222222222222222': 'evil-server' };
    app.services.outbox.register(
      'discord',
      async (p) => {
        posts.push(p);
      },
      async (server, channel) => (guildOf[channel] === server ? channel : undefined),
    );
    const evilAdmin = as(app, member('666', 'mallory', true), '222222222222222222', 'evil-server');
    const refused = await evilAdmin.command('quiz-admin schedule', { time: '09:00', channel: '<#111111111111111111>' });
    expect(plainText(refused.text)).toContain('There is no channel "<#111111111111111111>" in this server that the bot can see');
    const db = new Database(app.services.config.DATABASE_PATH, { readonly: true });
    expect(db.prepare('SELECT count(*) n FROM schedules').get()).toEqual({ n: 0 });
    const ok = await evilAdmin.command('quiz-admin schedule', { time: '09:00', channel: '<#222222222222222222>' });
    expect(plainText(ok.text)).toContain('Daily quiz scheduled');

    // A row written before channels were checked (or by hand) still never reaches the other server.
    const sent = await app.services.outbox.send({ platform: 'discord', place: { serverId: 'evil-server', channelId: '111111111111111111' }, reply: { text: 'hi', visibility: 'public' } });
    expect(sent).toBe(false);
    expect(posts.filter((p) => p.place.channelId === '111111111111111111')).toHaveLength(0);
  });
});

describe('names and boards per tenant', () => {
  it('gives each person their own Discord DM tenant, so strangers never share a board', async () => {
    const dm = (userId: string) => placeOf({ guildId: null, channelId: `dm-channel-${userId}`, user: { id: userId } } as never);
    expect(dm('1').serverId).not.toBe(dm('2').serverId);
    expect(tenantOf('discord', dm('1'))).toBe('discord:dm-1');
    expect(placeOf({ guildId: '42', channelId: '7', user: { id: '1' } } as never)).toEqual({ serverId: '42', channelId: '7' });

    const { app } = setup();
    for (const id of ['1', '2']) {
      const place = dm(id);
      const learner = as(app, member(id, `stranger-${id}`), place.channelId, place.serverId);
      await answerAll(learner, await learner.command('quiz'));
      const board = plainText((await learner.command('leaderboard', { period: 'all' })).text);
      expect(board).toContain(`stranger-${id}`);
      expect(board).not.toContain(`stranger-${id === '1' ? '2' : '1'}`);
    }
  });

  it('shows the name a member uses in that server, never their nickname elsewhere', async () => {
    const { app } = setup();
    const inA = as(app, member('5', 'Ada (team A)'), 'general', 'server-a');
    const inB = as(app, member('5', 'secret-handle'), 'general', 'server-b');
    await answerAll(inA, await inA.command('quiz'));
    await answerAll(inB, await inB.command('quiz'));
    const boardA = plainText((await as(app, member('9', 'viewer'), 'general', 'server-a').command('leaderboard', { period: 'all' })).text);
    expect(boardA).toContain('Ada (team A)');
    expect(boardA).not.toContain('secret-handle');
  });
});

/** Answers every question of a quiz rightly where it can. */
async function answerAll(user: ReturnType<typeof as>, reply: Reply): Promise<void> {
  for (let i = 0; i < 50 && reply.title?.includes('question'); i++) {
    const q = questionShown(reply.text);
    const right = buttons(reply).find((b) => rightLabels(q).includes(b.label)) ?? buttons(reply).find((b) => b.label === "I don't know")!;
    const feedback = await user.action(right.actionId);
    reply = await user.action(buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId);
  }
}

describe('work inside a grouped write', () => {
  it('leaves no cached user behind when the group rolls back, so ids are never shared', async () => {
    const { app } = setup();
    const store = quizStore(app.services);
    const tenant = tenantOf('discord', { serverId: 'g' });
    // A group creates a user, then a write fails (as a full disk would): the group rolls back.
    await expect(
      store.writes.run(() => {
        store.user(member('first', 'First'), tenant);
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      }),
    ).rejects.toThrow('disk is full');
    // The next new user takes the id the rolled-back one had; the first one must get a new one.
    const second = store.user(member('second', 'Second'), tenant);
    const first = store.user(member('first', 'First'), tenant);
    expect(first.id).not.toBe(second.id);
    const db = new Database(app.services.config.DATABASE_PATH, { readonly: true });
    expect(db.prepare('SELECT external_id who FROM users WHERE id = ?').get(first.id)).toEqual({ who: 'first' });
    expect(store.memberName(tenant, first.id)).toBe('First');
  });
});

describe('the race tick', () => {
  it('reads running rounds through an index, however many finished races are kept', () => {
    const { app, clock } = setup();
    const db = app.services.db.$client;
    db.prepare(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 500000 - 1)
       INSERT INTO races (id, platform, server_id, channel_id, question_ids, orders, round, round_ends_at, status, started_by, started_at)
       SELECT 'old' || i, 'discord', 'g', 'c' || (i % 50), '[]', '[]', 0, i, 'finished', 1, i FROM s`,
    ).run();
    db.exec('ANALYZE');
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${DUE_ROUNDS_SQL}`).all(clock.now().getTime()) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/USING INDEX races_running/);
    // Nothing is running: the tick finds nothing to close.
    tickRaces(app.services, clock.now());
    expect(db.prepare("SELECT count(*) n FROM races WHERE status = 'running'").get()).toEqual({ n: 0 });
  });
});
