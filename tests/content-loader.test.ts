import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../src/core/content/load.js';
import { ContentError } from '../src/core/content/issues.js';
import { demoBank, demoLesson, writeDemoContent } from './helpers/content.js';
import { tempDir } from './helpers/tmp.js';

function errorsFor(overrides: Record<string, string>): string[] {
  const dir = tempDir();
  writeDemoContent(dir, overrides);
  try {
    loadContent(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ContentError);
    return (err as ContentError).issues.map((i) => `${i.file.split('/').slice(-2).join('/')}:${i.line ?? '?'}: ${i.question ? `q${i.question}: ` : ''}${i.message}`);
  }
  return [];
}

describe('content loader', () => {
  it('loads lessons with their sections and banks with their questions', () => {
    const dir = tempDir();
    writeDemoContent(dir);
    const content = loadContent(dir);
    expect(content.lessons.map((l) => l.id)).toEqual(['demo']);
    expect(content.lessons[0]!.sections.map((s) => [s.slug, s.title, s.line])).toEqual([
      ['the-premise', 'The premise', 9],
      ['key-terms', 'Key terms', 13],
    ]);
    expect(content.banks[0]!.bank.questions.map((q) => q.id)).toEqual(['demo-router', 'demo-few', 'demo-term']);
    expect(content.banks[0]!.questionLines).toEqual([5, 13, 19]);
  });

  it('accepts a BOM and CRLF line endings', () => {
    const dir = tempDir();
    writeDemoContent(dir, { 'banks/demo.yaml': '\uFEFF' + demoBank.replace(/\n/g, '\r\n') });
    expect(loadContent(dir).banks[0]!.bank.questions).toHaveLength(3);
  });

  it('rejects a source section that does not exist, naming file and line', () => {
    const errors = errorsFor({ 'banks/demo.yaml': demoBank.replace('section: Key terms }\n    tags', 'section: Glossary }\n    tags') });
    expect(errors).toEqual([expect.stringMatching(/^banks\/demo\.yaml:5: q1: source section "Glossary" does not exist in lesson "demo"/)]);
  });

  it('rejects a question without an explanation', () => {
    const errors = errorsFor({ 'banks/demo.yaml': demoBank.replace('    explanation: Each token is routed to a few experts.\n', '') });
    expect(errors).toEqual(['banks/demo.yaml:13: q2: explanation: is required']);
  });

  it('rejects duplicate ids and duplicate prompts across banks', () => {
    const other = demoBank.replace('id: demo\n', 'id: other\n').replace('What does the router do?', 'What does the ROUTER do ?');
    const errors = errorsFor({ 'banks/other.yaml': other });
    expect(errors).toContain('banks/other.yaml:5: q1: duplicate id "demo-router" (also at ' + errors[0]!.match(/\(also at (.*)\)/)![1] + ')');
    expect(errors.filter((e) => e.includes('duplicate prompt'))).toHaveLength(3);
  });

  it('rejects a single-choice answer that is not one of the choices', () => {
    const errors = errorsFor({ 'banks/demo.yaml': demoBank.replace('answer: Picks experts for each token', 'answer: Picks experts') });
    expect(errors).toEqual(['banks/demo.yaml:9: q1: answer "Picks experts" is not one of the choices']);
  });

  it('rejects several answers where one is required (single choice with a list)', () => {
    const errors = errorsFor({ 'banks/demo.yaml': demoBank.replace('answer: Picks experts for each token', 'answer: [Picks experts for each token, Sorts the tokens]') });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^banks\/demo\.yaml:9: q1: answer: /);
  });

  it('rejects a multiple-choice question without any correct answer', () => {
    const errors = errorsFor({ 'banks/demo.yaml': demoBank.replace('type: single', 'type: multiple').replace('answer: Picks experts for each token', 'answer: []') });
    expect(errors).toEqual([expect.stringMatching(/^banks\/demo\.yaml:9: q1: answer: /)]);
  });

  it('rejects a lesson without sections', () => {
    const errors = errorsFor({ 'lessons/demo.md': demoLesson.split('## The premise')[0]!, 'banks/demo.yaml': 'id: demo\ntitle: t\nquestions: []\n' });
    expect(errors).toContain("lessons/demo.md:8: the lesson has no '## ' sections");
  });

  it('rejects duplicate section titles and text outside sections', () => {
    expect(errorsFor({ 'lessons/demo.md': demoLesson.replace('## Key terms', '## The Premise') })).toContain(
      'lessons/demo.md:13: two sections are titled "The Premise": section titles must be unique',
    );
    expect(errorsFor({ 'lessons/demo.md': demoLesson.replace('---\n\n## The premise', '---\nStray intro.\n## The premise') })).toEqual([
      "lessons/demo.md:8: text before the first '## ' section: every part of a lesson belongs to a section",
    ]);
  });

  it('names the line of YAML syntax errors, unknown fields and bad front matter', () => {
    expect(errorsFor({ 'banks/demo.yaml': demoBank.replace('    type: true_false', '    type: true_false\n   bad: [') })[0]).toMatch(/^banks\/demo\.yaml:1[3-5]: /);
    expect(errorsFor({ 'banks/demo.yaml': demoBank.replace('    type: true_false', '    type: true_false\n    anwser: true') })).toEqual([
      "banks/demo.yaml:13: q2: unknown field 'anwser'",
    ]);
    expect(errorsFor({ 'lessons/demo.md': demoLesson.replace('minutes: 5', 'minutes: five') })).toEqual([
      expect.stringMatching(/^lessons\/demo\.md:5: minutes: /),
    ]);
  });

  it('reports every error at once, and loads nothing', () => {
    const bad = demoBank.replace('answer: Picks experts for each token', 'answer: nope').replace('    explanation: Each token is routed to a few experts.\n', '');
    const errors = errorsFor({ 'banks/demo.yaml': bad, 'lessons/extra.md': '# no front matter' });
    expect(errors.length).toBe(3);
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    const errors = errorsFor({ 'banks/bomb.yaml': bomb });
    expect(errors[0]).toMatch(/^banks\/bomb\.yaml:1: .*alias/i);
  });

  it('reads an empty directory as no content', () => {
    const dir = tempDir();
    expect(loadContent(join(dir, 'missing'))).toEqual({ lessons: [], banks: [] });
  });
});
