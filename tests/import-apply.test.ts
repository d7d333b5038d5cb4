import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { applyImport, cancelImport, listImports, prepareImport, type PrepareInput } from '../src/core/import/apply.js';
import { prepareReply } from '../src/core/import/commands.js';
import { serializeBank } from '../src/core/export/index.js';
import type { Bank } from '../src/core/content/schema.js';
import { plainText } from '../src/core/markup.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { snapshotDb } from './helpers/db-snapshot.js';

const apps: App[] = [];
function setup() {
  const made = makeApp();
  apps.push(made.app);
  return { ...made, sql: () => new Database(made.dbPath) };
}
afterEach(() => {
  while (apps.length) apps.pop()!.close();
});

const admin = { platform: 'terminal', userId: 'admin', displayName: 'Ada', tenant: null };
const input = (fileName: string, text: string, extra: Partial<PrepareInput> = {}): PrepareInput => ({ fileName, bytes: Buffer.from(text), actor: admin, ...extra });

const csv = (rows: string[]) => ['id,question,choice_a,choice_b,answer,explanation', ...rows].join('\n') + '\n';
const ROWS = {
  router: 'c-router,What picks the experts?,The router,The tokenizer,A,The router scores experts.',
  sparse: 'c-sparse,Which layer is sparse?,Attention,The MoE layer,B,Only some experts run.',
  topk: 'c-topk,What does top-k choose?,How many experts,How many layers,A,k experts per token.',
  balance: 'c-balance,Why balance the load?,So experts train evenly,So tokens are shorter,A,An auxiliary loss spreads tokens.',
};

async function prepareAndApply(app: App, fileName: string, text: string, extra: Partial<PrepareInput> = {}) {
  const prepared = await prepareImport(app.services, input(fileName, text, extra));
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
  const applied = applyImport(app.services, prepared.draftId!, admin);
  return { prepared, applied };
}

describe('prepare and apply', () => {
  it('shows a dry run without writing questions, then applies it in one go and records it', async () => {
    const { app, dbPath } = setup();
    const before = snapshotDb(dbPath);
    const dry = await prepareImport(app.services, input('team.csv', csv([ROWS.router, ROWS.sparse, ROWS.topk]), { keepDraft: false }));
    expect(dry.ok && dry.diff).toMatchObject({ bankId: 'team', bankExists: false, unchanged: 0, noop: false });
    expect(dry.ok && dry.diff.added.map((q) => q.id)).toEqual(['c-router', 'c-sparse', 'c-topk']);
    expect(dry.ok && dry.draftId).toBeUndefined();
    expect(snapshotDb(dbPath)).toEqual(before);

    const { applied } = await prepareAndApply(app, 'team.csv', csv([ROWS.router, ROWS.sparse, ROWS.topk]));
    expect(applied).toMatchObject({ status: 'applied', bankId: 'team', counts: { added: 3, changed: 0, retired: 0, unchanged: 0 } });
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare("SELECT origin, title FROM banks WHERE id = 'team'").get()).toEqual({ origin: 'import', title: 'Team' });
    expect(db.prepare("SELECT count(*) AS n FROM questions WHERE bank_id = 'team' AND retired_at IS NULL").get()).toEqual({ n: 3 });
    db.close();
    const log = listImports(app.services.db, null);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ bankId: 'team', actor: 'Ada (admin)', platform: 'terminal', fileName: 'team.csv', format: 'csv', added: 3, removed: 0 });
    expect(log[0]!.fileHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('re-importing the same file changes nothing at all', async () => {
    const { app, dbPath } = setup();
    await prepareAndApply(app, 'team.csv', csv([ROWS.router, ROWS.sparse]));
    const before = snapshotDb(dbPath);
    const again = await prepareImport(app.services, input('team.csv', csv([ROWS.router, ROWS.sparse])));
    expect(again.ok && again.diff).toMatchObject({ added: [], changed: [], removed: [], unchanged: 2, noop: true });
    expect(again.ok && again.draftId).toBeUndefined();
    expect(snapshotDb(dbPath)).toEqual(before);
  });

  it('updates changed questions, retires removed ones and keeps users progress', async () => {
    const { app, sql } = setup();
    await prepareAndApply(app, 'team.csv', csv([ROWS.router, ROWS.sparse, ROWS.topk]));
    const db = sql();
    db.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('terminal', 'u1', 'U1')").run();
    const card = db.prepare(
      'INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state) VALUES (1, ?, 0, 1, 5, 0, 1, 0, 3, 0, 2)',
    );
    for (const id of ['c-router', 'c-sparse', 'c-topk']) card.run(id);

    const edited = ROWS.sparse.replace('Only some experts run.', 'Only the chosen experts run.');
    const next = csv([ROWS.router, edited, ROWS.balance]);
    const prepared = await prepareImport(app.services, input('team.csv', next));
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.diff.added.map((q) => q.id)).toEqual(['c-balance']);
    expect(prepared.diff.changed.map((q) => q.id)).toEqual(['c-sparse']);
    expect(prepared.diff.removed).toEqual([{ id: 'c-topk', prompt: 'What does top-k choose?' }]);
    expect(prepared.diff.unchanged).toBe(1);

    const applied = applyImport(app.services, prepared.draftId!, admin);
    expect(applied).toMatchObject({ status: 'applied', counts: { added: 1, changed: 1, retired: 1, unchanged: 1 } });
    const rows = db.prepare("SELECT id, retired_at IS NOT NULL AS retired, body FROM questions WHERE bank_id = 'team' ORDER BY id").all() as { id: string; retired: number; body: string }[];
    expect(rows.map((r) => [r.id, r.retired])).toEqual([
      ['c-balance', 0],
      ['c-router', 0],
      ['c-sparse', 0],
      ['c-topk', 1],
    ]);
    expect(JSON.parse(rows.find((r) => r.id === 'c-sparse')!.body).explanation).toBe('Only the chosen experts run.');
    // Progress survives on changed, unchanged and retired questions alike.
    expect(db.prepare('SELECT question_id, reps FROM cards ORDER BY question_id').all()).toEqual([
      { question_id: 'c-router', reps: 3 },
      { question_id: 'c-sparse', reps: 3 },
      { question_id: 'c-topk', reps: 3 },
    ]);
    db.close();
  });

  it('applying a draft twice, or a cancelled or expired one, writes nothing more', async () => {
    const { app, clock, dbPath } = setup();
    const prepared = await prepareImport(app.services, input('team.csv', csv([ROWS.router])));
    const draftId = prepared.ok ? prepared.draftId! : '';
    expect(applyImport(app.services, draftId, admin).status).toBe('applied');
    const after = snapshotDb(dbPath);
    expect(applyImport(app.services, draftId, admin)).toEqual({ status: 'already-applied', bankId: 'team' });
    expect(snapshotDb(dbPath)).toEqual(after);

    const second = await prepareImport(app.services, input('team.csv', csv([ROWS.router, ROWS.sparse])));
    const secondId = second.ok ? second.draftId! : '';
    expect(cancelImport(app.services, secondId, null)).toBe(true);
    expect(applyImport(app.services, secondId, admin)).toEqual({ status: 'missing' });

    const third = await prepareImport(app.services, input('team.csv', csv([ROWS.router, ROWS.topk])));
    clock.advance(25 * 60 * 60 * 1000);
    expect(applyImport(app.services, third.ok ? third.draftId! : '', admin)).toEqual({ status: 'expired' });
    expect(listImports(app.services.db, null)).toHaveLength(1);
  });

  it('matches id-less questions to stored ones by prompt, so a bank keeps its ids', async () => {
    const { app } = setup();
    await prepareAndApply(app, 'team.csv', csv([ROWS.router, ROWS.sparse]));
    const aiken = 'What picks the experts?\nA. The router\nB. The tokenizer\nANSWER: A\n\nWhich layer is sparse?\nA. Attention\nB. The MoE layer\nANSWER: B\n';
    const prepared = await prepareImport(app.services, input('team.txt', aiken, { bankId: 'team' }));
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.bank.questions.map((q) => q.id)).toEqual(['c-router', 'c-sparse']);
    // Aiken has no explanations, so both change; none is added or removed.
    expect(prepared.diff).toMatchObject({ added: [], removed: [], unchanged: 0 });
    expect(prepared.diff.changed.map((q) => q.id)).toEqual(['c-router', 'c-sparse']);
  });

  it('refuses content bank ids and missing lessons, naming each; question ids are each bank\'s own', async () => {
    const { app, dbPath } = setup();
    await prepareAndApply(app, 'team.csv', csv([ROWS.router]));
    const before = snapshotDb(dbPath);
    const other = await prepareImport(app.services, input('other.csv', csv([ROWS.sparse, ROWS.router]), { keepDraft: false }));
    expect(other.ok && other.diff.added.map((q) => q.id)).toEqual(['c-sparse', 'c-router']);
    expect(other.ok && other.diff.duplicates).toEqual([{ id: 'c-router', prompt: 'What picks the experts?', otherBank: 'team', otherId: 'c-router' }]);
    const content = await prepareImport(app.services, input('x.csv', csv([ROWS.topk]), { bankId: 'moe-tradeoffs' }));
    expect(content.ok || content.issues[0]!.message).toMatch(/^bank 'moe-tradeoffs' comes from the content directory/);
    const lesson = await prepareImport(app.services, input('x.csv', csv([ROWS.topk]), { lessonId: 'no-such-lesson' }));
    expect(lesson.ok || lesson.issues[0]!.message).toMatch(/^lesson 'no-such-lesson' does not exist/);
    expect(snapshotDb(dbPath)).toEqual(before);
  });

  it('re-importing an export of an imported bank is a no-op', async () => {
    const { app } = setup();
    const bank: Bank = {
      id: 'roundtrip',
      title: 'Round trip',
      lesson: 'moe-tradeoffs',
      questions: [
        { id: 'rt-1', type: 'multiple', prompt: 'Pick: two {of} these = ~ #', choices: ['A', 'B', 'C'], answer: ['A', 'C'], explanation: 'Line one\nline two', tags: ['x'], source: { lesson: 'moe-tradeoffs', section: 'Key terms' } },
        { id: 'rt-2', type: 'short', prompt: 'What picks experts?', answer: 'router', accepted: ['gate'], explanation: 'The router.', tags: [] },
      ],
    };
    await prepareAndApply(app, 'roundtrip.yaml', serializeBank(bank, 'yaml').text);
    for (const format of ['yaml', 'json', 'gift'] as const) {
      const again = await prepareImport(app.services, input(`export.${format}`, serializeBank(bank, format).text, { bankId: 'roundtrip', lessonId: 'moe-tradeoffs' }));
      expect(again.ok && again.diff.noop, format).toBe(true);
    }
  });
});

describe('/quiz-admin import and /quiz-admin imports', () => {
  const file = (name: string, text: string) => ({ name, url: 'https://files.example/x', load: async () => Buffer.from(text) });

  it('previews, asks for confirmation, and applies only for an admin', async () => {
    const { app } = setup();
    const boss = as(app, actor('boss', true));
    const learner = as(app, actor('learner', false));
    expect((await learner.command('quiz-admin import', { file: file('team.csv', csv([ROWS.router])) })).text).toMatch(/for admins only/);

    const preview = await boss.command('quiz-admin import', { file: file('team.csv', csv([ROWS.router, ROWS.sparse])) });
    expect(preview.title).toBe('Import preview: team.csv');
    expect(plainText(preview.text)).toContain('New bank team (Team) from team.csv (csv): 2 added, 0 changed, 0 removed, 0 unchanged.');
    const [apply, cancel] = buttons(preview);
    expect(apply!.label).toBe('Apply import');
    expect(cancel!.label).toBe('Cancel');
    expect(apply!.actionId).toMatch(/^import\.apply:[0-9a-f-]{36}$/);

    expect((await learner.action(apply!.actionId)).text).toMatch(/for admins only/);
    const done = await boss.action(apply!.actionId);
    expect(done).toMatchObject({ title: 'Import applied', replaceOriginal: true });
    expect(plainText(done.text)).toContain('Bank team: 2 added, 0 changed, 0 removed (retired), 0 unchanged.');
    expect((await boss.action(apply!.actionId)).title).toBe('Import already applied');
    expect((await boss.action(cancel!.actionId)).title).toBe('Import not available');

    const again = await boss.command('quiz-admin import', { file: file('team.csv', csv([ROWS.router, ROWS.sparse])) });
    expect(again.title).toBe('Nothing to import: team.csv');
    expect(buttons(again)).toEqual([]);

    const log = await boss.command('quiz-admin imports');
    expect(plainText(log.text)).toMatch(/#1 \d{4}-\d\d-\d\d \d\d:\d\d UTC · team ← team\.csv \(csv\) by boss on terminal: 2 added, 0 changed, 0 removed, 0 unchanged/);
  });

  it('lists the problems of a rejected file and offers nothing to apply', async () => {
    const { app } = setup();
    const boss = as(app, actor('boss', true));
    const reply = await boss.command('quiz-admin import', { file: file('bad.csv', 'question,anwser\nx,y\n'), format: 'csv' });
    expect(reply.title).toBe('Import refused: bad.csv');
    expect(plainText(reply.text)).toBe("1 problem found; nothing was changed.\n• bad.csv:1:10: unknown column 'anwser' — did you mean 'answer'?");
    expect(buttons(reply)).toEqual([]);
    const missing = await boss.command('quiz-admin import', { file: { name: 'x.csv', url: 'https://files.example/x' } });
    expect(missing.text).toBe('The attached file could not be downloaded. Attach it again.');
  });
});

describe('the preview', () => {
  it('lists the questions it skips and the prompts another bank already asks, and Apply imports the rest', async () => {
    const { app } = setup();
    const contentPrompt = "In a Mixture-of-Experts (MoE) model, what is the primary function of the 'router' component?";
    const text = csv([ROWS.router, `c-dup,"${contentPrompt}",Routing,Sorting,A,Same question as the lesson bank.`, 'c-bad,Which is right?,Yes,No,Q,x']);
    const prepared = await prepareImport(app.services, input('team.csv', text));
    const reply = prepareReply('team.csv', prepared);
    const shown = plainText(reply.text);
    expect(shown).toContain('2 added');
    expect(shown).toContain('Skipped (1, not imported; the rest is):');
    expect(shown).toContain("team.csv:4: question 3: answer 'Q' is not a choice letter");
    expect(shown).toContain('Already in another bank (1; imported too, but a quiz asks each prompt once):');
    expect(shown).toContain('c-dup');
    const apply = (reply.components ?? []).flat().find((c) => c.kind === 'button' && c.label === 'Apply import');
    expect(apply).toBeDefined();
    expect(applyImport(app.services, prepared.ok ? prepared.draftId! : '', admin)).toMatchObject({ status: 'applied', counts: { added: 2 } });
  });
});
