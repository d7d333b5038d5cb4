import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../src/core/catalogue.js';
import { CATALOGUE } from '../src/core/commands.js';
import { md } from '../src/core/markup.js';
import { escapeDiscord, renderMarkdown } from '../src/platforms/discord/markdown.js';
import { FORM_MARK, renderReply } from '../src/platforms/discord/message.js';
import { fromSlash, slashCommandsFromCatalogue, toSlash } from '../src/platforms/discord/slash-commands.js';
import { commandProblems } from './fakes/discord/validate.js';

describe('Discord markdown renderer', () => {
  it('renders the core markup as Discord markdown', () => {
    expect(renderMarkdown('a **b** _c_ `d` [e](https://x.y/z)')).toBe('a **b** *c* `d` [e](<https://x.y/z>)');
  });

  it('keeps user text from forging formatting, masked links or mentions', () => {
    const name = '**boss** [click](https://evil.example) <@123> <#9> <@&7> @everyone @here ||x|| ~~y~~ > quote';
    const out = renderMarkdown(md`Hi ${name}!`);
    expect(out).not.toMatch(/(?<!\\)\*\*boss/);
    expect(out).toContain('\\[click\\]\\(https://evil.example\\)');
    expect(out).toContain('\\<@123\\>');
    expect(out).toContain('\\<#9\\>');
    expect(out).toContain('\\<@&7\\>');
    expect(out).toContain('@\u200beveryone');
    expect(out).toContain('@\u200bhere');
    expect(out).toContain('\\|\\|x\\|\\|');
    expect(out).toContain('\\~\\~y\\~\\~');
    expect(out).toContain('\\> quote');
  });

  it('escapes line-start markers (headings, lists, quotes) only where they would act', () => {
    expect(escapeDiscord('# title\n- item\n1. first\nnot - a list')).toBe('\\# title\n\\- item\n1\\. first\nnot - a list');
  });

  it('neutralises inline code that tries to break out', () => {
    expect(renderMarkdown(md`\`${'a`b @everyone'}\``)).toBe('`aˋb @\u200beveryone`');
  });

  it('never cuts inside an escape or a marker when truncating', () => {
    const text = md`**${'*'.repeat(30)}** and more`;
    for (let max = 5; max < 80; max++) {
      const out = renderMarkdown(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/(^|[^\\])\\…$/);
    }
    expect(renderMarkdown(text, 30)).toMatch(/^\*\*(\\\*)+\*\*…$|^\*\*(\\\*)+…$/);
  });
});

describe('Reply → Discord message', () => {
  it('uses content for plain replies and an embed for titled ones, pinging nobody', () => {
    const plain = renderReply({ text: 'hello', visibility: 'ephemeral' });
    expect(plain).toMatchObject({ content: 'hello', embeds: [], ephemeral: true, allowedMentions: { parse: [] } });
    const titled = renderReply({ title: 'Top 10', text: 'x', fields: [{ name: '**1**', value: 'ann' }], visibility: 'public' });
    expect(titled.content).toBe('');
    expect(titled.embeds[0]).toMatchObject({ title: 'Top 10', description: 'x', fields: [{ name: '**1**', value: 'ann' }] });
    expect(titled.ephemeral).toBe(false);
  });

  it('sends an image as an attachment the embed shows', () => {
    const m = renderReply({ text: 'card', image: { filename: 'leader board.png', png: Buffer.from('png'), alt: 'Top 10' }, visibility: 'public' });
    expect(m.files).toEqual([{ name: 'leader_board.png', data: Buffer.from('png'), description: 'Top 10' }]);
    expect(m.embeds[0]!.image).toEqual({ url: 'attachment://leader_board.png' });
  });

  it('lays out buttons in rows of five, selects alone, and marks buttons that open a form', () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({ kind: 'button' as const, label: `B${i}`, actionId: `b:${i}` }));
    const forms = new Map();
    const m = renderReply(
      {
        text: 'x',
        visibility: 'ephemeral',
        components: [
          [...buttons, { kind: 'select', placeholder: 'Pick', actionId: 's:1', options: [{ label: 'A', value: 'a' }] }],
          [{ kind: 'button', label: 'Type it', actionId: 'answer:1', input: { title: 'Your answer', label: 'Answer' } }],
        ],
      },
      forms,
    );
    expect(m.components.map((r) => r.components.length)).toEqual([5, 2, 1, 1]);
    expect(m.components[2]!.components[0]).toMatchObject({ type: 3, custom_id: 's:1' });
    expect(m.components[3]!.components[0]).toMatchObject({ custom_id: FORM_MARK + 'answer:1' });
    expect(forms.get('answer:1')).toEqual({ title: 'Your answer', label: 'Answer' });
  });
});

describe('catalogue → slash commands', () => {
  it('maps catalogue keys to slash paths and back, with the bare /quiz as /quiz start', () => {
    for (const spec of CATALOGUE) expect(fromSlash(toSlash(spec.key))).toBe(spec.key);
    expect(toSlash('quiz')).toEqual({ command: 'quiz', subcommand: 'start' });
    expect(toSlash('quiz race')).toEqual({ command: 'quiz', subcommand: 'race' });
    expect(toSlash('help')).toEqual({ command: 'help' });
    expect(fromSlash({ command: 'quiz', subcommand: 'start' })).toBe('quiz');
  });

  it('declares option types, choices, limits, autocomplete and the admin permission', () => {
    const commands = slashCommandsFromCatalogue();
    expect(commandProblems(commands)).toEqual([]);
    const byName = new Map(commands.map((c) => [c.name, c as any]));
    expect([...byName.keys()].sort()).toEqual([...new Set(CATALOGUE.map((c) => c.key.split(' ')[0]!))].sort());
    const lesson = byName.get('lesson');
    expect(lesson.options).toEqual([
      expect.objectContaining({ name: 'id', type: 3, required: true, autocomplete: true, max_length: 64 }),
      expect.objectContaining({ name: 'section', type: 4, required: false, min_value: 1, max_value: 100 }),
    ]);
    const quiz = byName.get('quiz');
    expect(quiz.options.map((o: any) => [o.type, o.name])).toEqual(expect.arrayContaining([[1, 'start'], [1, 'review'], [1, 'race']]));
    const leaderboard = byName.get('leaderboard');
    expect(leaderboard.options[0]).toMatchObject({ name: 'period', choices: [{ name: 'week', value: 'week' }, { name: 'month', value: 'month' }, { name: 'season', value: 'season' }, { name: 'all', value: 'all' }] });
    expect(byName.get('quiz-admin').default_member_permissions).toBe('32');
    expect(byName.get('help').default_member_permissions).toBeNull();
  });

  it('puts required options first and maps attachments and booleans', () => {
    const catalogue: CommandSpec[] = [
      {
        key: 'x import',
        description: 'Import',
        options: [
          { name: 'dry', description: 'Dry run', type: 'boolean' },
          { name: 'file', description: 'The file', type: 'attachment', required: true },
        ],
        admin: true,
      },
      { key: 'x', description: 'Bare', options: [] },
    ];
    const [x] = slashCommandsFromCatalogue(catalogue) as any[];
    expect(x.default_member_permissions).toBeNull();
    expect(x.options).toEqual([
      expect.objectContaining({ type: 1, name: 'import', description: 'Import (admins)', options: [expect.objectContaining({ name: 'file', type: 11, required: true }), expect.objectContaining({ name: 'dry', type: 5, required: false })] }),
      expect.objectContaining({ type: 1, name: 'start', description: 'Bare' }),
    ]);
    expect(commandProblems([x])).toEqual([]);
  });
});
