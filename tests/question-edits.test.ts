import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { applyImport, prepareImport, type ImportActor } from '../src/core/import/apply.js';
import type { Post, Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { ManualClock } from '../src/core/services.js';
import { createLogger } from '../src/logger.js';
import { actor, as, buttons } from './helpers/app.js';
import { writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

/**
 * A question edited by an import between being shown and being answered: the click meant what the
 * learner saw, so it is never graded against the new version. It is not counted (no review, no
 * FSRS change, no points), and the learner gets the new version to answer.
 */

const apps: App[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

function setup() {
  const dir = tempDir();
  writeDemoContent(dir);
  const dbPath = join(dir, 'bot.sqlite');
  const config = loadConfig({ CONTENT_DIR: dir, DATABASE_PATH: dbPath, NEW_CARDS_PER_DAY: '50', QUIZ_MAX_CARDS: '50', RACE_ROUND_SECONDS: '20' }, '/nonexistent/.env');
  const clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));
  const app = createApp(config, createLogger('silent'), { clock });
  apps.push(app);
  const posts: Post[] = [];
  app.services.outbox.register('terminal', async (p) => {
    posts.push(p);
  });
  const count = (query: string): number => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare(query).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  return { app, clock, posts, count };
}

const operator: ImportActor = { platform: 'cli', userId: 'ops', displayName: 'ops', tenant: null };

interface Row {
  id: string;
  prompt: string;
  choices: string[];
  /** The right choice's letter. */
  answer: string;
  explanation?: string;
}

const sheet = (rows: Row[]) =>
  ['id,question,choice_a,choice_b,choice_c,choice_d,answer,explanation', ...rows.map((r) => [r.id, r.prompt, ...[0, 1, 2, 3].map((i) => r.choices[i] ?? ''), r.answer, r.explanation ?? `The answer is ${r.answer}.`].join(','))].join('\n') + '\n';

async function importBank(app: App, rows: Row[]) {
  const prepared = await prepareImport(app.services, { fileName: 'nato.csv', bytes: Buffer.from(sheet(rows)), actor: operator });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  const applied = applyImport(app.services, prepared.draftId!, operator);
  expect(applied.status).toBe('applied');
}

const ALPHA: Row = { id: 'first', prompt: 'Which word comes first in the NATO alphabet?', choices: ['Alpha', 'Bravo', 'Charlie', 'Delta'], answer: 'A' };
const ECHO: Row = { id: 'fifth', prompt: 'Which word is fifth in the NATO alphabet?', choices: ['Echo', 'Foxtrot', 'Golf', 'Hotel'], answer: 'A' };

const labelled = (reply: Reply, label: string) => buttons(reply).find((b) => b.label === label)!.actionId;
const UPDATED = 'This question was updated after it was shown to you, so that answer was not counted. Here it is as it is now.';

describe('a question edited between showing and answering', () => {
  it('reordered choices: the click on "Alpha" is not graded as the choice now in its place, and nothing is recorded', async () => {
    const { app, count } = setup();
    await importBank(app, [ALPHA]);
    const alice = as(app, actor('alice'));
    const shown = await alice.command('quiz', { bank: 'nato' });
    expect(plainText(shown.text)).toContain(ALPHA.prompt);
    const alphaClick = labelled(shown, 'Alpha');
    await importBank(app, [{ ...ALPHA, choices: ['Delta', 'Charlie', 'Bravo', 'Alpha'], answer: 'D' }]);

    const reply = await alice.action(alphaClick);
    expect(plainText(reply.text)).toContain(UPDATED);
    expect(plainText(reply.text)).toContain(ALPHA.prompt);
    expect(reply.replaceOriginal).toBe(true);
    expect(buttons(reply).map((b) => b.label).sort()).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta', "I don't know"]);
    expect(count('SELECT count(*) n FROM reviews')).toBe(0);
    expect(count('SELECT count(*) n FROM cards')).toBe(0);
    expect(count('SELECT count(*) n FROM awards')).toBe(0);
    expect(count('SELECT count(*) n FROM session_answers')).toBe(0);

    // The new version is answered as usual.
    const graded = await alice.action(labelled(reply, 'Alpha'));
    expect(graded.title).toMatch(/^✅/);
    expect(count('SELECT count(*) n FROM reviews WHERE correct = 1')).toBe(1);
    expect(count('SELECT count(*) n FROM awards')).toBe(1);
  });

  it('an edited choice: a click on the old text is not counted', async () => {
    const { app, count } = setup();
    await importBank(app, [ALPHA]);
    const alice = as(app, actor('alice'));
    const shown = await alice.command('quiz', { bank: 'nato' });
    const bravo = labelled(shown, 'Bravo');
    await importBank(app, [{ ...ALPHA, choices: ['Alpha', 'Baker', 'Charlie', 'Delta'] }]);
    const reply = await alice.action(bravo);
    expect(plainText(reply.text)).toContain(UPDATED);
    expect(buttons(reply).map((b) => b.label)).toContain('Baker');
    expect(count('SELECT count(*) n FROM reviews')).toBe(0);
  });

  it('fewer choices: a click past the new last choice is answered with the new version, not a crash', async () => {
    const { app, count } = setup();
    await importBank(app, [ALPHA]);
    const alice = as(app, actor('alice'));
    const shown = await alice.command('quiz', { bank: 'nato' });
    const choiceButtons = buttons(shown).filter((b) => b.label !== "I don't know");
    const last = choiceButtons[choiceButtons.length - 1]!.actionId;
    await importBank(app, [{ ...ALPHA, choices: ['Alpha', 'Bravo'] }]);
    const reply = await alice.action(last);
    expect(plainText(reply.text)).toContain(UPDATED);
    expect(buttons(reply).map((b) => b.label).sort()).toEqual(['Alpha', 'Bravo', "I don't know"]);
    expect(count('SELECT count(*) n FROM reviews')).toBe(0);
  });

  it('an edit the learner cannot see (the explanation) leaves the click counted', async () => {
    const { app, count } = setup();
    await importBank(app, [ALPHA]);
    const alice = as(app, actor('alice'));
    const shown = await alice.command('quiz', { bank: 'nato' });
    const alpha = labelled(shown, 'Alpha');
    await importBank(app, [{ ...ALPHA, explanation: 'Alpha opens the alphabet.' }]);
    const reply = await alice.action(alpha);
    expect(reply.title).toMatch(/^✅/);
    expect(plainText(reply.text)).toContain('Alpha opens the alphabet.');
    expect(count('SELECT count(*) n FROM reviews WHERE correct = 1')).toBe(1);
  });

  it('a later question edited before it is shown is shown and graded as it is now', async () => {
    const { app, count } = setup();
    await importBank(app, [ALPHA, ECHO]);
    const alice = as(app, actor('alice'));
    let reply = await alice.command('quiz', { bank: 'nato' });
    // Whichever comes first is answered; the other is edited before Next shows it.
    const firstIsAlpha = plainText(reply.text).includes(ALPHA.prompt);
    reply = await alice.action(labelled(reply, firstIsAlpha ? 'Alpha' : 'Echo'));
    const edited = firstIsAlpha ? { ...ECHO, choices: ['Hotel', 'Golf', 'Foxtrot', 'Echo'], answer: 'D' } : { ...ALPHA, choices: ['Delta', 'Charlie', 'Bravo', 'Alpha'], answer: 'D' };
    await importBank(app, firstIsAlpha ? [ALPHA, edited] : [edited, ECHO]);
    reply = await alice.action(labelled(reply, 'Next ▶'));
    expect(plainText(reply.text)).not.toContain(UPDATED);
    reply = await alice.action(labelled(reply, firstIsAlpha ? 'Echo' : 'Alpha'));
    expect(reply.title).toMatch(/^✅/);
    expect(count('SELECT count(*) n FROM reviews WHERE correct = 1')).toBe(2);
  });

  it('in a race: a click on a round whose question changed is not counted', async () => {
    const { app, count, posts } = setup();
    await importBank(app, [{ ...ALPHA, choices: ['Alpha', 'Bravo', 'Charlie', 'Delta'] }]);
    const alice = as(app, actor('alice'), 'study');
    const bob = as(app, actor('bob'), 'study');
    // Only the imported question races: the demo content's bank is turned off here.
    expect(plainText((await as(app, actor('ada', true), 'study').command('quiz-admin banks', { bank: 'demo', state: 'off' })).text)).toMatch(/off/i);
    await alice.command('quiz race', { rounds: 1 });
    expect(posts).toHaveLength(1);
    expect(plainText(posts[0]!.reply.text)).toContain(ALPHA.prompt);
    const alpha = labelled(posts[0]!.reply, 'Alpha');
    await importBank(app, [{ ...ALPHA, choices: ['Delta', 'Charlie', 'Bravo', 'Alpha'], answer: 'D' }]);
    expect(plainText((await bob.action(alpha)).text)).toBe(
      'This question was updated while the round ran, so clicks on it no longer count. The right answer is revealed when the round closes.',
    );
    expect(count('SELECT count(*) n FROM race_answers')).toBe(0);
  });
});
