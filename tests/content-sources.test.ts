import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeAction } from '../src/core/actions.js';
import { DEMO_PROMPT_MAX, loadContent, parseLesson, type Lesson } from '../src/core/content/load.js';
import { repoRoot } from './helpers/cli.js';

/**
 * Every figure of the families lesson is traceable to a source, and every "Try it live" declaration
 * of the lessons is valid.
 *
 * The rule for figures: the section titled "Sources" lists one line per model, `- <model>: <source>`,
 * and each line quotes the figures it supports. Every other sentence that holds a number must name
 * at least one of those models, and each of its numbers (apart from the numbers in the model names
 * themselves) and each month of a release date must appear on the source line of a model it names.
 */

const SOURCES = 'Sources';
const { lessons } = loadContent(join(repoRoot, 'content'));

const MONTHS = /\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/g;

/** The figures of a text: numbers as written ("32,768", "46.7", "2025") without thousands separators, and month names. */
function numbersIn(text: string): string[] {
  const numbers = [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => m[0].replace(/,(?=\d{3})/g, '').replace(/,$/, ''));
  return [...numbers, ...[...text.matchAll(MONTHS)].map((m) => m[0])];
}

/** The sentences of a section: one per line, and lines split after . ! or ? before a capital. */
function sentences(body: string): string[] {
  return body
    .split('\n')
    .map((l) => l.replace(/^\s*(?:[-*]|\d+\.)\s+/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/(?<=[.!?])\s+(?=[A-Z])/));
}

/** Each model of the Sources section with the numbers its source line quotes. */
function sourceLines(lesson: Lesson): Map<string, Set<string>> {
  const section = lesson.sections.find((s) => s.title === SOURCES);
  const lines = new Map<string, Set<string>>();
  for (const line of section?.body.split('\n') ?? []) {
    const m = /^- ([^:]+): (.+)$/.exec(line.trim());
    if (m) lines.set(m[1]!.trim(), new Set(numbersIn(m[2]!)));
  }
  return lines;
}

/** Every problem with the rule, as "section: sentence — what is wrong". */
function unsourcedFigures(lesson: Lesson): string[] {
  const sources = sourceLines(lesson);
  const models = [...sources.keys()].sort((a, b) => b.length - a.length);
  const problems: string[] = [];
  for (const section of lesson.sections) {
    if (section.title === SOURCES) continue;
    for (const sentence of sentences(section.body)) {
      if (!/\d/.test(sentence)) continue;
      let rest = sentence;
      const named: string[] = [];
      for (const model of models) {
        if (rest.includes(model)) {
          named.push(model);
          rest = rest.split(model).join(' ');
        }
      }
      if (named.length === 0) {
        problems.push(`${section.title}: "${sentence}" — names no model with a source line`);
        continue;
      }
      const sourced = new Set(named.flatMap((m) => [...sources.get(m)!]));
      const missing = numbersIn(rest).filter((n) => !sourced.has(n));
      if (missing.length) problems.push(`${section.title}: "${sentence}" — ${missing.join(', ')} not on the source line of ${named.join(', ')}`);
    }
  }
  return problems;
}

describe('sources of the figures in MoE Families in Numbers', () => {
  const lesson = lessons.find((l) => l.id === 'moe-families-numbers')!;

  it('has a Sources section with a source line for every model it covers', () => {
    const sources = sourceLines(lesson);
    expect(sources.size).toBeGreaterThanOrEqual(10);
    for (const model of ['Mixtral 8x7B', 'Mixtral 8x22B', 'DeepSeek-V2', 'DeepSeek-V3', 'Qwen1.5-MoE-A2.7B', 'Qwen3-235B-A22B', 'Qwen3-30B-A3B', 'OLMoE-1B-7B', 'GPT-OSS 120B', 'GPT-OSS 20B']) {
      expect(sources.has(model), model).toBe(true);
    }
    // Every source line names a paper, report, card or announcement, not just figures.
    for (const line of lesson.sections.find((s) => s.title === SOURCES)!.body.split('\n').filter((l) => l.startsWith('- '))) {
      expect(line, line).toMatch(/arXiv|model card|config\.json|announcement|blog post|technical report/i);
    }
  });

  it('traces every number of every other section to the source line of a model the sentence names', () => {
    expect(unsourcedFigures(lesson)).toEqual([]);
  });

  it('uses every source line', () => {
    const text = lesson.sections.filter((s) => s.title !== SOURCES).map((s) => s.body).join('\n');
    for (const model of sourceLines(lesson).keys()) expect(text.includes(model), model).toBe(true);
  });

  it('answers "how many experts per token" for DeepSeek-V3 and Mixtral 8x7B in one sentence each', () => {
    const all = lesson.sections.flatMap((s) => sentences(s.body));
    expect(all.some((s) => /^DeepSeek-V3 .*\b8\b.*\b256\b.*\b1 shared expert/.test(s))).toBe(true);
    expect(all.some((s) => /^Mixtral 8x7B uses 2 of its 8 experts for each token/.test(s))).toBe(true);
  });

  it('catches a figure without a source, and one whose model has no source line', () => {
    const text = (extra: string) =>
      `---\nid: t\ntitle: T\nsummary: S.\n---\n\n## Models\n\nAlpha-1 has 8 experts.\n${extra}\n\n## Sources\n\n- Alpha-1: Alpha paper, arXiv 1234.5678 (8 experts).\n`;
    const parse = (extra: string) => parseLesson(text(extra), 't.md').lesson!;
    expect(unsourcedFigures(parse(''))).toEqual([]);
    expect(unsourcedFigures(parse('Alpha-1 routes each token to 2 experts.'))).toEqual([
      'Models: "Alpha-1 routes each token to 2 experts." — 2 not on the source line of Alpha-1',
    ]);
    expect(unsourcedFigures(parse('Beta-2 has 16 experts.'))).toEqual(['Models: "Beta-2 has 16 experts." — names no model with a source line']);
  });
});

describe('Try it live declarations', () => {
  it('gives every section of the router lesson a valid demo, a compare for the rephrasing one', () => {
    const routing = lessons.find((l) => l.id === 'moe-routing')!;
    for (const section of routing.sections) {
      expect(section.demo, section.title).toBeDefined();
      expect(section.demo!.expect.length, section.title).toBeGreaterThan(40);
    }
    expect(routing.sections.find((s) => /rephrasing/i.test(s.title))?.demo?.kind).toBe('compare');
  });

  it('keeps every demo of every lesson within the command limits and the button id limit', () => {
    for (const lesson of lessons) {
      lesson.sections.forEach((section, i) => {
        if (!section.demo) return;
        const prompts = section.demo.kind === 'route' ? [section.demo.prompt] : [section.demo.a, section.demo.b];
        for (const p of prompts) {
          expect(p.trim().length, `${lesson.id} / ${section.title}`).toBeGreaterThan(0);
          expect(p.length, `${lesson.id} / ${section.title}`).toBeLessThanOrEqual(DEMO_PROMPT_MAX);
        }
        expect(() => encodeAction('lesson.try', lesson.id, i)).not.toThrow();
      });
    }
  });
});
