import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { exportBank } from '../src/core/export/index.js';
import { applyImport, prepareImport, type ImportActor } from '../src/core/import/apply.js';
import { diffBank } from '../src/core/import/diff.js';
import type { Reply } from '../src/core/interaction.js';
import { plainText } from '../src/core/markup.js';
import { ManualClock } from '../src/core/services.js';
import { quizStore } from '../src/core/quiz/store.js';
import { tenantOf } from '../src/core/tenant.js';
import { createLogger } from '../src/logger.js';
import { actor, as, buttons } from './helpers/app.js';
import { writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

const apps: App[] = [];
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

/** The bot on the small demo content (three questions), with room for every new question in one quiz. */
function setup() {
  const dir = tempDir();
  writeDemoContent(dir);
  const dbPath = join(dir, 'bot.sqlite');
  const config = loadConfig({ CONTENT_DIR: dir, DATABASE_PATH: dbPath, NEW_CARDS_PER_DAY: '50', QUIZ_MAX_CARDS: '50' }, '/nonexistent/.env');
  const clock = new ManualClock(new Date('2026-11-20T09:00:00Z'));
  const app = createApp(config, createLogger('silent'), { clock });
  apps.push(app);
  const rows = <T>(query: string, ...params: unknown[]): T[] => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare(query).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  return { app, clock, rows };
}

const operator: ImportActor = { platform: 'cli', userId: 'ops', displayName: 'ops', tenant: null };

/** A spreadsheet numbering its rows 1…N, as most do: [prompt, right, wrong] per row. */
function sheet(rows: [string, string, string][]): string {
  return ['id,question,choice_a,choice_b,answer,explanation', ...rows.map(([q, right, wrong], i) => `${i + 1},${q},${right},${wrong},A,Because ${right}.`)].join('\n') + '\n';
}

const NORTH: [string, string, string][] = [
  ['What picks the experts for a token?', 'The router', 'The tokenizer'],
  ['What does top-k choose?', 'How many experts', 'How many layers'],
  ['Why add a load-balancing loss?', 'So experts train evenly', 'So tokens get shorter'],
];
const SOUTH: [string, string, string][] = [
  ['Which layer of an MoE model is sparse?', 'The expert layer', 'The embedding'],
  ['What is an expert?', 'A feed-forward network', 'A tokenizer'],
  ['What is capacity factor about?', 'Tokens per expert', 'Layers per model'],
];

async function importFile(app: App, fileName: string, text: string, who: ImportActor = operator) {
  const prepared = await prepareImport(app.services, { fileName, bytes: Buffer.from(text), actor: who });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  const applied = prepared.draftId ? applyImport(app.services, prepared.draftId, who) : undefined;
  return { prepared, applied };
}

/** The right answer of every imported question, by prompt. */
const rightAnswer = new Map([...NORTH, ...SOUTH].map(([q, right]) => [q, right]));

/**
 * Takes today's quiz to the end: imported questions answered right, the content's with "I don't
 * know". Returns the prompts asked and each feedback's report button.
 */
async function takeQuiz(app: App, name: string) {
  const user = as(app, actor(name));
  let reply: Reply = await user.command('quiz');
  const asked: string[] = [];
  const reports: string[] = [];
  while (reply.title?.includes('question')) {
    const prompt = plainText(reply.text).split('\n')[0]!;
    asked.push(prompt);
    const right = rightAnswer.get(prompt);
    const button = buttons(reply).find((b) => (right ? b.label === right : b.label === "I don't know"))!;
    const feedback = await user.action(button.actionId);
    if (right) expect(feedback.title).toMatch(/^✅/);
    reports.push(buttons(feedback).find((b) => b.actionId.startsWith('qrep:'))?.actionId ?? '');
    reply = await user.action(buttons(feedback).find((b) => b.label === 'Next ▶' || b.label === 'See my results')!.actionId);
  }
  return { asked, reports, summary: reply };
}

describe('question ids scoped to their bank', () => {
  it('imports two sheets that both number their rows 1…3, quizzes both, and keeps progress through re-imports', async () => {
    const { app, clock, rows } = setup();
    const north = await importFile(app, 'north.csv', sheet(NORTH));
    expect(north.applied).toMatchObject({ status: 'applied', counts: { added: 3 } });
    const south = await importFile(app, 'south.csv', sheet(SOUTH));
    // The preview speaks of the ids the file has; nothing conflicts.
    expect(south.prepared.ok && south.prepared.diff.added.map((q) => q.id)).toEqual(['1', '2', '3']);
    expect(south.applied).toMatchObject({ status: 'applied', counts: { added: 3 } });
    const stored = () => rows<{ id: string; bankId: string; localId: string }>("SELECT id, bank_id bankId, local_id localId FROM questions WHERE bank_id IN ('north', 'south') ORDER BY bank_id, position");
    const ids = [
      { id: '1', bankId: 'north', localId: '1' },
      { id: '2', bankId: 'north', localId: '2' },
      { id: '3', bankId: 'north', localId: '3' },
      // The second bank's '1' is its own question, under an internal id derived from the bank.
      { id: 'south.1', bankId: 'south', localId: '1' },
      { id: 'south.2', bankId: 'south', localId: '2' },
      { id: 'south.3', bankId: 'south', localId: '3' },
    ];
    expect(stored()).toEqual(ids);
    // Exports show the ids of the file.
    expect(exportBank(app.services.db, 'south', 'csv')!.text.split('\n').slice(1, 4).map((l) => l.split(',')[0])).toEqual(['1', '2', '3']);

    // Both banks are quizzed, each question under its own id: the report button names south's own.
    const first = await takeQuiz(app, 'alice');
    expect(first.asked).toEqual(expect.arrayContaining([...NORTH, ...SOUTH].map(([q]) => q)));
    expect(first.asked).toHaveLength(9);
    expect(first.reports).toEqual(expect.arrayContaining(['qrep:1', 'qrep:south.1']));
    const report = await as(app, actor('alice')).action('qrep:south.1', { text: 'typo' });
    expect(plainText(report.text)).not.toMatch(/no longer exists/);
    expect(rows("SELECT question_id questionId FROM question_reports")).toEqual([{ questionId: 'south.1' }]);
    const cards = () => rows<{ questionId: string; due: number; reps: number }>("SELECT question_id questionId, due, reps FROM cards WHERE question_id NOT LIKE 'demo-%' ORDER BY question_id");
    const progress = cards();
    expect(progress.map((c) => c.questionId)).toEqual(['1', '2', '3', 'south.1', 'south.2', 'south.3']);

    // Re-importing either sheet (one with an edit) changes no id and keeps every card.
    const edited = NORTH.map(([q, r, w], i): [string, string, string] => [i === 1 ? q.replace('choose', 'pick') : q, r, w]);
    rightAnswer.set(edited[1]![0], edited[1]![1]);
    const again = await importFile(app, 'north.csv', sheet(edited));
    expect(again.applied).toMatchObject({ status: 'applied', counts: { added: 0, changed: 1, retired: 0, unchanged: 2 } });
    const southAgain = await importFile(app, 'south.csv', sheet(SOUTH));
    expect(southAgain.prepared.ok && southAgain.prepared.diff.noop).toBe(true);
    // A row left out is retired, and revived with its card when it comes back.
    const shorter = await importFile(app, 'south.csv', sheet(SOUTH.slice(0, 2)));
    expect(shorter.prepared.ok && shorter.prepared.diff).toMatchObject({ added: [], removed: [{ id: '3', prompt: SOUTH[2]![0] }] });
    const back = await importFile(app, 'south.csv', sheet(SOUTH));
    expect(back.applied).toMatchObject({ status: 'applied', counts: { added: 0, changed: 1, retired: 0, unchanged: 2 } });
    expect(stored()).toEqual(ids);
    expect(cards()).toEqual(progress);
    expect(rows("SELECT count(*) n FROM questions WHERE bank_id = 'south' AND retired_at IS NULL")).toEqual([{ n: 3 }]);

    // A week on, the due cards of both banks come back under their ids.
    clock.advance(30 * 86_400_000);
    const later = await takeQuiz(app, 'alice');
    expect(later.asked).toEqual(expect.arrayContaining([edited[1]![0], SOUTH[0]![0]]));
    expect(rows<{ reps: number }>("SELECT reps FROM cards WHERE question_id IN ('2', 'south.1')").map((c) => c.reps)).toEqual([2, 2]);
  });

  it('shows in the preview a question whose prompt another bank the tenant sees already has', async () => {
    const { app } = setup();
    // The content's "What does the router do?", in other words (normalised alike).
    const text = sheet([['what does the ROUTER do', 'Picks experts', 'Sorts tokens'], NORTH[0]!]);
    const dry = await prepareImport(app.services, { fileName: 'team.csv', bytes: Buffer.from(text), actor: operator, keepDraft: false });
    expect(dry.ok && dry.diff.duplicates).toEqual([{ id: '1', prompt: 'what does the ROUTER do', otherBank: 'demo', otherId: 'demo-router' }]);

    // A tenant's bank is a duplicate only for that tenant.
    const acme = tenantOf('discord', { serverId: 'acme' });
    await importFile(app, 'north.csv', sheet(NORTH), { platform: 'discord', userId: 'boss', displayName: 'boss', tenant: acme });
    const bank = dry.ok ? dry.bank : undefined;
    expect(diffBank(app.services.db, bank!, acme).duplicates.map((d) => [d.id, d.otherBank, d.otherId])).toEqual([
      ['1', 'demo', 'demo-router'],
      ['2', 'north', '1'],
    ]);
    expect(diffBank(app.services.db, bank!, tenantOf('discord', { serverId: 'other' })).duplicates.map((d) => d.id)).toEqual(['1']);
    expect(diffBank(app.services.db, bank!, null).duplicates.map((d) => d.id)).toEqual(['1']);
  });

  it('asks a prompt that two banks share once in a daily quiz, and once in a race', async () => {
    const { app } = setup();
    await importFile(app, 'north.csv', sheet(NORTH));
    // The same three questions again (one in other words), and one of the content's.
    const copy: [string, string, string][] = [[NORTH[0]![0].toUpperCase(), NORTH[0]![1], NORTH[0]![2]], NORTH[1]!, ['What does the router do?', 'Picks experts', 'Sorts tokens'], SOUTH[0]!];
    const imported = await importFile(app, 'copy.csv', sheet(copy));
    expect(imported.prepared.ok && imported.prepared.diff.duplicates.map((d) => d.id)).toEqual(['1', '2', '3']);
    const { asked } = await takeQuiz(app, 'bob');
    const keys = asked.map((p) => p.toLowerCase().replace(/[^a-z]+/g, ' ').trim());
    expect(new Set(keys).size).toBe(asked.length);
    // The content's three, north's three, and the one question of the copy that is new.
    expect(asked).toHaveLength(7);
    expect(asked).toContain(SOUTH[0]![0]);

    const store = quizStore(app.services);
    const raced = store.stmt.raceQuestions.all(tenantOf('terminal', { serverId: 'local' }), tenantOf('terminal', { serverId: 'local' }), 50).map((r) => r.id);
    const prompts = raced.map((id) => store.stmt.question.get(id)!.body).map((b) => (JSON.parse(b) as { prompt: string }).prompt.toLowerCase());
    expect(new Set(prompts).size).toBe(raced.length);
    expect(raced).toHaveLength(6);
  });

  it('never gives a new question an id another question holds', async () => {
    const { app, rows } = setup();
    await importFile(app, 'north.csv', sheet(NORTH));
    // A bank whose own ids include what the scoped id of its '1' would be.
    await importFile(app, 't.csv', 'id,question,choice_a,choice_b,answer,explanation\n1,First?,a,b,A,x\nt.1,Second?,a,b,A,x\n');
    expect(rows("SELECT id, local_id localId FROM questions WHERE bank_id = 't' ORDER BY position")).toEqual([
      { id: 't.1', localId: '1' },
      { id: 't.t.1', localId: 't.1' },
    ]);
    // A bank id too long to prefix: a hashed id, within the 64 characters an id may have.
    const long = 'b'.repeat(63);
    await importFile(app, `${long}.csv`, sheet(SOUTH));
    const hashed = rows<{ id: string; localId: string }>('SELECT id, local_id localId FROM questions WHERE bank_id = ? ORDER BY position', long);
    expect(hashed.map((r) => r.localId)).toEqual(['1', '2', '3']);
    for (const r of hashed) expect(r.id).toMatch(/^q-[0-9a-f]{16}$/);
  });
});
