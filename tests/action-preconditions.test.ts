import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { App } from '../src/app.js';
import { ACTIONS, INVALID_ACTION_TEXT, UNKNOWN_ACTION_TEXT } from '../src/core/action-catalogue.js';
import type { Capability } from '../src/core/dispatcher.js';
import { UserError } from '../src/core/errors.js';
import { createDispatcher } from '../src/core/index.js';
import type { Post, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { SLOW_DOWN_TEXT } from '../src/core/rate-limit.js';
import { testActionSpecs } from './helpers/actions.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';

/**
 * Every precondition of an action (its args, admin, owner, tenant, typed text, picked values) is
 * enforced by the dispatcher before any handler runs: through the real dispatcher on a real
 * SQLite file. Handlers replaced by spies show that a refused press never reaches its handler.
 */

const apps: App[] = [];
function setup(env: Record<string, string> = {}) {
  const made = makeApp(env);
  apps.push(made.app);
  const posts: Post[] = [];
  made.app.services.outbox.register('terminal', async (p) => void posts.push(p));
  const sql = <T>(query: string, ...args: unknown[]): T[] => {
    const db = new Database(made.dbPath, { readonly: true });
    try {
      return db.prepare(query).all(...args) as T[];
    } finally {
      db.close();
    }
  };
  return { ...made, posts, sql };
}
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

const ran: Reply = { text: 'the handler ran', visibility: 'ephemeral' };

/** The same app, with these action handlers replaced by spies (the catalogue's specs still apply). */
function withSpies(app: App, ...names: (keyof typeof ACTIONS)[]) {
  const spies = Object.fromEntries(names.map((n) => [n, vi.fn(() => ran)]));
  const dispatcher = createDispatcher(app.services, [{ actions: spies } as Capability]);
  return { app: { ...app, dispatcher }, spies };
}

const csv = 'id,question,choice_a,choice_b,answer,explanation\nteam-router,What picks the experts?,The router,The tokenizer,A,The router scores experts.\n';
const file = (text: string, load = vi.fn(async () => Buffer.from(text))) => ({ name: 'team.csv', url: 'https://files.example/team.csv', load });

describe('admin-only actions', () => {
  it('refuses a member pressing Apply import before any handler runs, and changes nothing', async () => {
    const { app, sql } = setup();
    const preview = await as(app, actor('boss', true)).command('quiz-admin import', { file: file(csv) });
    const [apply, cancel] = buttons(preview);
    const spied = withSpies(app, 'import.apply', 'import.cancel');
    const member = as(spied.app, actor('mallory'));
    expect((await member.action(apply!.actionId)).text).toBe('Applying an import is for admins only.');
    expect((await member.action(cancel!.actionId)).text).toBe('Cancelling an import is for admins only.');
    expect(spied.spies['import.apply']).not.toHaveBeenCalled();
    expect(spied.spies['import.cancel']).not.toHaveBeenCalled();
    // With the real handlers too: nothing applied, nothing cancelled.
    expect((await as(app, actor('mallory')).action(apply!.actionId)).text).toBe('Applying an import is for admins only.');
    expect(sql("SELECT id FROM banks WHERE id = 'team'")).toEqual([]);
    expect(sql<{ appliedAt: number | null }>('SELECT applied_at appliedAt FROM import_drafts')).toEqual([{ appliedAt: null }]);
    // The admin's press goes through.
    expect((await as(spied.app, actor('boss', true)).action(apply!.actionId)).text).toBe('the handler ran');
  });

  it('refuses a member resolving a report before any handler runs', async () => {
    const { app, sql } = setup();
    const eve = as(app, actor('eve'));
    const quiz = await eve.command('quiz');
    const feedback = await eve.action(buttons(quiz).find((b) => b.label === "I don't know")!.actionId);
    const report = buttons(feedback).find((b) => b.label === 'Report question')!;
    expect((await eve.action(report.actionId, { text: 'The key looks wrong' })).text).toBe('Thanks! An admin will look at this question.');
    const queue = await as(app, actor('root', true)).command('quiz-admin reports');
    const resolve = buttons(queue)[0]!.actionId;
    const spied = withSpies(app, 'qres');
    expect((await as(spied.app, actor('eve')).action(resolve)).text).toBe('Resolving reports is for admins only.');
    expect(spied.spies.qres).not.toHaveBeenCalled();
    expect(sql('SELECT resolved_at FROM question_reports')).toEqual([{ resolved_at: null }]);
  });

  it('declares admin on every catalogue action, and nothing but the admin actions needs the right', () => {
    for (const [name, spec] of Object.entries(ACTIONS)) expect(typeof spec.admin, name).toBe('boolean');
    expect(Object.entries(ACTIONS).filter(([, s]) => s.admin).map(([n]) => n).sort()).toEqual(['import.apply', 'import.cancel', 'qres', 'schedule.remove', 'season.end']);
  });
});

describe('malformed action ids', () => {
  it('answers "not valid" to args that do not parse, and never reaches a handler', async () => {
    const { app } = setup();
    const spied = withSpies(app, 'qa', 'qt', 'qm', 'qn', 'ra', 'qres', 'lesson', 'why', 'qrep', 'qs', 'import.apply');
    const alice = as(spied.app, actor('alice'));
    const admin = as(spied.app, actor('root', true));
    const junk = 'z'.repeat(100);
    for (const id of [
      'qa:abc:NaN:zz',
      'qa:abc:1',
      'qa:abc:1:2:3',
      'qa:abc::1',
      'qa:abc:-1:0',
      'qa:abc:1e3:0',
      `qa:${'x'.repeat(97)}`,
      `qa:${junk.slice(0, 40)}:0:0`,
      'qn:abc:1',
      'qn',
      'qt:abc',
      'ra:abc:0:0x10',
      'lesson:Not An Id:0',
      'lesson:moe-tradeoffs',
      'why:',
      'qs:extra',
    ]) {
      expect((await alice.action(id, { text: 'x', values: ['0'] })).text, id).toBe(INVALID_ACTION_TEXT);
    }
    expect((await admin.action('qres:abc')).text).toBe(INVALID_ACTION_TEXT);
    expect((await admin.action('import.apply:')).text).toBe(INVALID_ACTION_TEXT);
    // Longer than any id the bot makes, or a name no action has.
    expect((await alice.action(`qa:${junk}`)).text).toBe(INVALID_ACTION_TEXT);
    expect((await alice.action(junk)).text).toBe(UNKNOWN_ACTION_TEXT);
    expect((await alice.action('nope:1')).text).toBe(UNKNOWN_ACTION_TEXT);
    for (const spy of Object.values(spied.spies)) expect(spy).not.toHaveBeenCalled();
  });

  it('gives handlers parsed, typed args', async () => {
    const { app } = setup();
    const lesson = vi.fn(() => ran);
    const dispatcher = createDispatcher(app.services, [{ actions: { lesson } }]);
    await as({ ...app, dispatcher }, actor('alice')).action('lesson:moe-tradeoffs:2');
    expect(lesson).toHaveBeenCalledWith(expect.objectContaining({ args: ['moe-tradeoffs', 2], values: [] }));
  });

  it('requires the typed text and the picked values an action declares', async () => {
    const { app } = setup();
    const alice = as(app, actor('alice'));
    const quiz = await alice.command('quiz');
    const sid = buttons(quiz)[0]!.actionId.split(':')[1]!;
    expect((await alice.action(`qt:${sid}:0`, { text: '   ' })).text).toBe('Type an answer, or press "I don\'t know".');
    expect(plainText((await alice.action(`qt:${sid}:0`, { text: 'x'.repeat(201) })).text)).toBe('That is too long: at most 200 characters.');
    expect((await alice.action(`qm:${sid}:0`, { values: [] })).text).toBe('Pick at least one answer.');
    expect((await alice.action(`qm:${sid}:0`, { values: ['1', 'one'] })).text).toBe(INVALID_ACTION_TEXT);
    expect((await alice.action(`qm:${sid}:0`, { values: Array.from({ length: 26 }, (_, i) => String(i)) })).text).toBe(INVALID_ACTION_TEXT);
  });
});

describe('owner-only actions', () => {
  it("refuses someone else's quiz buttons before any handler runs, and a quiz that is gone", async () => {
    const { app, sql } = setup();
    const quiz = await as(app, actor('alice')).command('quiz');
    const spied = withSpies(app, 'qa', 'qt', 'qm', 'qn');
    const bob = as(spied.app, actor('bob'));
    const sid = buttons(quiz)[0]!.actionId.split(':')[1]!;
    for (const id of [buttons(quiz)[0]!.actionId, `qn:${sid}`]) {
      expect((await bob.action(id)).text).toBe('This quiz belongs to alice. Start your own with /quiz.');
    }
    expect((await bob.action(`qt:${sid}:0`, { text: 'router' })).text).toBe('This quiz belongs to alice. Start your own with /quiz.');
    expect((await bob.action(`qm:${sid}:0`, { values: ['0'] })).text).toBe('This quiz belongs to alice. Start your own with /quiz.');
    // The same user id on another platform is someone else.
    expect((await as(spied.app, actor('alice', false, 'slack')).action(`qn:${sid}`)).text).toBe('This quiz belongs to alice. Start your own with /quiz.');
    expect((await bob.action('qn:nosuchsession')).text).toBe('This quiz is no longer available. Start a new one with /quiz.');
    for (const spy of Object.values(spied.spies)) expect(spy).not.toHaveBeenCalled();
    expect(sql('SELECT * FROM session_answers')).toEqual([]);
    expect((await as(spied.app, actor('alice')).action(`qn:${sid}`)).text).toBe('the handler ran');
  });
});

describe('tenant checks', () => {
  it('refuses a race button pressed from another server, or another platform', async () => {
    const { app, posts, sql } = setup();
    await as(app, actor('alice'), 'study').command('quiz race', { rounds: 1 });
    const round = posts[0]!.reply;
    const choice = buttons(round)[0]!.actionId;
    expect(choice).toMatch(/^ra:/);
    const spied = withSpies(app, 'ra');
    expect((await as(spied.app, actor('mallory'), 'study', 'elsewhere').action(choice)).text).toBe('This round is closed.');
    expect((await as(spied.app, actor('mallory', false, 'discord'), 'study', 'local').action(choice)).text).toBe('This round is closed.');
    expect(spied.spies.ra).not.toHaveBeenCalled();
    expect((await as(app, actor('mallory'), 'study', 'elsewhere').action(choice)).text).toBe('This round is closed.');
    expect(sql('SELECT * FROM race_answers')).toEqual([]);
    expect((await as(spied.app, actor('bob'), 'general').action(choice)).text).toBe('the handler ran');
  });

  it('applies or cancels an import preview only in the server it was made in', async () => {
    const { app, sql } = setup();
    const preview = await as(app, actor('boss', true)).command('quiz-admin import', { file: file(csv) });
    const [apply, cancel] = buttons(preview);
    const stranger = as(app, actor('other-admin', true), 'general', 'elsewhere');
    expect(await stranger.action(apply!.actionId)).toMatchObject({ title: 'Import not available', replaceOriginal: true });
    expect(await stranger.action(cancel!.actionId)).toMatchObject({ title: 'Import not available', replaceOriginal: true });
    expect(sql("SELECT id FROM banks WHERE id = 'team'")).toEqual([]);
    expect(sql('SELECT count(*) n FROM import_drafts')).toEqual([{ n: 1 }]);
    expect((await as(app, actor('boss', true)).action(apply!.actionId)).title).toBe('Import applied');
  });

  it('resolves a report only in the server it was made in', async () => {
    const { app, sql } = setup();
    const eve = as(app, actor('eve'));
    const quiz = await eve.command('quiz');
    const feedback = await eve.action(buttons(quiz).find((b) => b.label === "I don't know")!.actionId);
    await eve.action(buttons(feedback).find((b) => b.label === 'Report question')!.actionId, { text: 'Typo' });
    const resolve = buttons(await as(app, actor('root', true)).command('quiz-admin reports'))[0]!.actionId;
    const spied = withSpies(app, 'qres');
    expect((await as(spied.app, actor('root', true), 'general', 'elsewhere').action(resolve)).text).toBe('That report is already resolved.');
    expect(spied.spies.qres).not.toHaveBeenCalled();
    expect(sql<{ r: number | null }>('SELECT resolved_at r FROM question_reports')).toEqual([{ r: null }]);
  });
});

describe('the dispatcher refuses to start with', () => {
  it('an action spec that has no handler', () => {
    const { app } = setup();
    expect(() => createDispatcher(app.services, [{ actionSpecs: testActionSpecs('orphan') }])).toThrow('no handler for the actions: orphan');
  });

  it('an action handler that has no spec', () => {
    const { app } = setup();
    expect(() => createDispatcher(app.services, [{ actions: { undeclared: () => ran } }])).toThrow('handler for undeclared action "undeclared"');
  });

  it('a capability redeclaring a catalogue action', () => {
    const { app } = setup();
    const loose = { description: 'Answering anything', args: z.array(z.string()), admin: false };
    expect(() => createDispatcher(app.services, [{ actionSpecs: { qa: loose }, actions: { qa: () => ran } }])).toThrow('action "qa" is declared in the action catalogue already');
  });
});

describe('attached files are read only once the command may run', () => {
  it('never loads the file of a member, of a rate-limited user, or of a command with a bad option', async () => {
    const { app } = setup({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SECOND: '0.001' });
    const member = file(csv);
    expect((await as(app, actor('mallory', false, 'slack')).command('quiz-admin import', { file: member })).text).toBe('/quiz-admin import is for admins only.');
    expect(member.load).not.toHaveBeenCalled();

    const bad = file(csv);
    expect(plainText((await as(app, actor('boss', true)).command('quiz-admin import', { file: bad, format: 'docx' })).text)).toMatch(/^Option 'format' must be one of/);
    expect(bad.load).not.toHaveBeenCalled();

    const busy = as(app, actor('busy', true, 'slack'));
    await busy.command('lessons');
    await busy.command('lessons');
    const limited = file(csv);
    expect((await busy.command('quiz-admin import', { file: limited })).text).toBe(SLOW_DOWN_TEXT);
    expect(limited.load).not.toHaveBeenCalled();

    const allowed = file(csv);
    expect((await as(app, actor('boss', true)).command('quiz-admin import', { file: allowed })).title).toBe('Import preview: team.csv');
    expect(allowed.load).toHaveBeenCalledTimes(1);
  });

  it("answers with the adapter's words when the file cannot be read, and plainly on an unexpected failure", async () => {
    const { app } = setup();
    const boss = as(app, actor('boss', true));
    const refused = file(csv, vi.fn(async () => Promise.reject(new UserError('The file team.csv is too large (at most 5 MB).'))));
    expect(plainText((await boss.command('quiz-admin import', { file: refused })).text)).toBe('The file team.csv is too large (at most 5 MB).');
    const broken = file(csv, vi.fn(async () => Promise.reject(new TypeError('fetch failed'))));
    expect(plainText((await boss.command('quiz-admin import', { file: broken })).text)).toBe('The attached file team.csv could not be downloaded. Attach it again.');
    expect((await boss.command('quiz-admin import', { file: { name: 'team.csv' } })).text).toBe('The attached file could not be downloaded. Attach it again.');
  });
});
