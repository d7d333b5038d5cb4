import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { slugify, normalizeText } from '../util/text.js';
import { ContentError, type SourceIssue } from './issues.js';
import { bankSchema, lessonFrontMatterSchema, type Bank, type LessonFrontMatter } from './schema.js';
import { parseYamlSource, zodIssuesAt } from './yaml-source.js';

/**
 * A section's live demo, declared in the lesson by two lines that are not part of its text:
 * `Try it live: route "<prompt>"` (or `compare "<a>" | "<b>"`) and `Expect: <what it shows and why>`.
 * The expectation is what the demo's button answers when no MoE endpoint is configured.
 */
export type LessonDemo = { kind: 'route'; prompt: string; expect: string } | { kind: 'compare'; a: string; b: string; expect: string };

/** The longest demo prompt: the same limit as the prompt of /moe route and /moe compare. */
export const DEMO_PROMPT_MAX = 2000;
/** The longest expectation of a demo. */
export const DEMO_EXPECT_MAX = 1000;

export interface LessonSection {
  slug: string;
  title: string;
  /** The section's text, without its demo declaration. */
  body: string;
  /** 1-based line of the `## ` heading in the lesson file. */
  line: number;
  demo?: LessonDemo;
}

const DEMO_LINE = /^try it live\s*:(.*)$/i;
const EXPECT_LINE = /^expect\s*:(.*)$/i;
const QUOTED = '"([^"]*)"';
const ROUTE_DEMO = new RegExp(`^route\\s+${QUOTED}$`);
const COMPARE_DEMO = new RegExp(`^compare\\s+${QUOTED}\\s*\\|\\s*${QUOTED}$`);

/**
 * Takes a section's demo declaration out of its body lines. `firstLine` is the file line of
 * `lines[0]`; problems name the section and the line.
 */
export function parseDemo(
  lines: readonly string[],
  firstLine: number,
  section: string,
  file: string,
): { body: string[]; demo?: LessonDemo; issues: SourceIssue[] } {
  const issues: SourceIssue[] = [];
  const problem = (index: number, message: string) => issues.push({ file, line: firstLine + index, message: `section "${section}": ${message}` });
  const body: string[] = [];
  let declared: { index: number; spec: string } | undefined;
  let expect: { index: number; text: string } | undefined;
  lines.forEach((line, index) => {
    const demo = DEMO_LINE.exec(line.trim());
    const expected = EXPECT_LINE.exec(line.trim());
    if (demo) {
      if (declared) problem(index, 'a section has at most one "Try it live:" line');
      else declared = { index, spec: demo[1]!.trim() };
    } else if (expected) {
      if (expect) problem(index, 'a section has at most one "Expect:" line');
      else expect = { index, text: expected[1]!.trim() };
    } else {
      body.push(line);
    }
  });
  if (!declared) {
    if (expect) problem(expect.index, 'an "Expect:" line belongs under a "Try it live:" line');
    return { body, issues };
  }
  const usage = 'write Try it live: route "<prompt>" or Try it live: compare "<first>" | "<second>"';
  const route = ROUTE_DEMO.exec(declared.spec);
  const compare = COMPARE_DEMO.exec(declared.spec);
  const prompts = route ? [route[1]!] : compare ? [compare[1]!, compare[2]!] : undefined;
  if (!prompts) problem(declared.index, `the "Try it live:" line cannot be read: ${usage}`);
  for (const p of prompts ?? []) {
    if (!p.trim()) problem(declared.index, 'a "Try it live:" prompt is empty');
    else if (p.length > DEMO_PROMPT_MAX) problem(declared.index, `a "Try it live:" prompt is longer than ${DEMO_PROMPT_MAX} characters`);
  }
  if (!expect || !expect.text) problem(declared.index, 'a "Try it live:" line needs an "Expect:" line saying what the demo shows and why');
  else if (expect.text.length > DEMO_EXPECT_MAX) problem(expect.index, `the "Expect:" line is longer than ${DEMO_EXPECT_MAX} characters`);
  else if (expect.index < declared.index) problem(expect.index, 'the "Expect:" line comes after the "Try it live:" line');
  if (issues.length || !prompts || !expect) return { body, issues };
  const demo: LessonDemo = route
    ? { kind: 'route', prompt: prompts[0]!.trim(), expect: expect.text }
    : { kind: 'compare', a: prompts[0]!.trim(), b: prompts[1]!.trim(), expect: expect.text };
  return { body, demo, issues };
}

export interface Lesson extends Omit<LessonFrontMatter, 'minutes'> {
  /** Reading time, from the text: words ÷ READING_WORDS_PER_MINUTE, rounded up. */
  minutes: number;
  sections: LessonSection[];
  file: string;
}

export interface LoadedBank {
  bank: Bank;
  file: string;
  /** Line of each question's entry, for error messages after validation. */
  questionLines: number[];
}

export interface LoadedContent {
  lessons: Lesson[];
  banks: LoadedBank[];
}

function listFiles(dir: string, extensions: string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => extensions.includes(extname(n).toLowerCase()) && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

function readText(path: string): string {
  return readFileSync(path, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** Reading speed behind a lesson's minutes. */
export const READING_WORDS_PER_MINUTE = 200;

/** A lesson's reading time in whole minutes (at least 1): its section titles and bodies, words ÷ 200. */
export function readingMinutes(sections: readonly { title: string; body: string }[]): number {
  const words = sections.reduce((n, s) => n + (s.title + ' ' + s.body).split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length, 0);
  return Math.max(1, Math.ceil(words / READING_WORDS_PER_MINUTE));
}

export function parseLesson(text: string, file: string): { lesson?: Lesson; issues: SourceIssue[] } {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') {
    return { issues: [{ file, line: 1, message: "a lesson starts with YAML front matter between '---' lines" }] };
  }
  const close = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (close < 0) return { issues: [{ file, line: 1, message: "the front matter has no closing '---' line" }] };

  const parsed = parseYamlSource(lines.slice(1, close).join('\n'), file, 1);
  if (!parsed.ok) return { issues: parsed.issues };
  const front = lessonFrontMatterSchema.safeParse(parsed.source.value ?? {});
  if (!front.success) return { issues: zodIssuesAt(front.error, parsed.source, file) };

  const issues: SourceIssue[] = [];
  const sections: LessonSection[] = [];
  let current: { title: string; line: number; body: string[] } | undefined;
  let strayText = false;
  const finish = () => {
    if (!current) return;
    const parsedDemo = parseDemo(current.body, current.line + 1, current.title, file);
    issues.push(...parsedDemo.issues);
    const body = parsedDemo.body.join('\n').trim();
    if (!body) issues.push({ file, line: current.line, message: `section "${current.title}" is empty` });
    const slug = slugify(current.title);
    if (sections.some((s) => s.slug === slug)) {
      issues.push({ file, line: current.line, message: `two sections are titled "${current.title}": section titles must be unique` });
    }
    sections.push({ slug, title: current.title, body, line: current.line, ...(parsedDemo.demo ? { demo: parsedDemo.demo } : {}) });
  };
  for (let i = close + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^##\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading && !line.startsWith('###')) {
      finish();
      current = { title: heading[1]!, line: i + 1, body: [] };
    } else if (current) {
      current.body.push(line);
    } else if (line.trim() && !strayText) {
      strayText = true;
      issues.push({ file, line: i + 1, message: "text before the first '## ' section: every part of a lesson belongs to a section" });
    }
  }
  finish();
  if (sections.length === 0) issues.push({ file, line: close + 2, message: "the lesson has no '## ' sections" });
  if (front.data.id !== basename(file, extname(file))) {
    issues.push({ file, line: parsed.source.locate(['id']).line, message: `id "${front.data.id}" must match the file name` });
  }
  if (issues.length) return { issues };
  // The front matter's `minutes` is not trusted: the reading time comes from the text.
  return { lesson: { ...front.data, minutes: readingMinutes(sections), sections, file }, issues };
}

export function parseBankText(text: string, file: string): { loaded?: LoadedBank; issues: SourceIssue[] } {
  const parsed = parseYamlSource(text, file);
  if (!parsed.ok) return { issues: parsed.issues };
  const questionIndexOf = (path: readonly PropertyKey[]) =>
    path[0] === 'questions' && typeof path[1] === 'number' ? path[1] : undefined;
  const result = bankSchema.safeParse(parsed.source.value ?? {});
  if (!result.success) return { issues: zodIssuesAt(result.error, parsed.source, file, questionIndexOf) };
  const questionLines = result.data.questions.map((_, i) => parsed.source.locate(['questions', i]).line);
  return { loaded: { bank: result.data, file, questionLines }, issues: [] };
}

/**
 * Checks what no single file can: unique ids and prompts across banks, and that every source
 * cites a lesson section that exists.
 */
export function crossCheck(
  lessons: Lesson[],
  banks: LoadedBank[],
  options: { requireSources: boolean; brokenLessons?: ReadonlySet<string> },
): SourceIssue[] {
  const issues: SourceIssue[] = [];
  const lessonById = new Map(lessons.map((l) => [l.id, l]));
  const ids = new Map<string, string>();
  const prompts = new Map<string, string>();
  const bankIds = new Map<string, string>();
  for (const { bank, file, questionLines } of banks) {
    const prior = bankIds.get(bank.id);
    if (prior) issues.push({ file, line: 1, message: `bank id "${bank.id}" is also used by ${prior}` });
    bankIds.set(bank.id, file);
    if (bank.lesson && !lessonById.has(bank.lesson) && !options.brokenLessons?.has(bank.lesson)) {
      issues.push({ file, line: 1, message: `bank lesson "${bank.lesson}" does not exist` });
    }
    bank.questions.forEach((q, i) => {
      const at = { file, line: questionLines[i], question: i + 1 };
      const where = `${file}:${questionLines[i]}`;
      const priorId = ids.get(q.id);
      if (priorId) issues.push({ ...at, message: `duplicate id "${q.id}" (also at ${priorId})` });
      ids.set(q.id, where);
      const key = normalizeText(q.prompt);
      const priorPrompt = prompts.get(key);
      if (priorPrompt) issues.push({ ...at, message: `duplicate prompt (also at ${priorPrompt})` });
      prompts.set(key, where);
      const source = q.source ?? undefined;
      if (!source) {
        if (options.requireSources) issues.push({ ...at, message: 'source is required: { lesson, section }' });
        return;
      }
      const lesson = lessonById.get(source.lesson);
      if (options.brokenLessons?.has(source.lesson)) return; // its own errors are reported already
      if (!lesson) {
        issues.push({ ...at, message: `source lesson "${source.lesson}" does not exist` });
      } else if (!findSection(lesson, source.section)) {
        issues.push({
          ...at,
          message: `source section "${source.section}" does not exist in lesson "${lesson.id}" (sections: ${lesson.sections.map((s) => s.title).join('; ')})`,
        });
      }
    });
  }
  return issues;
}

/** A section by its title or slug, case-insensitively. */
export function findSection(lesson: Lesson, section: string): LessonSection | undefined {
  const slug = slugify(section);
  return lesson.sections.find((s) => s.slug === slug);
}

/**
 * Loads and validates every lesson and bank under `dir`. Either everything is valid or a
 * ContentError lists every problem with its file and line; nothing is ever half-loaded.
 */
export function loadContent(dir: string, options: { banks?: boolean } = {}): LoadedContent {
  const issues: SourceIssue[] = [];
  const show = (p: string) => relative(process.cwd(), p) || p;
  const lessons: Lesson[] = [];
  const brokenLessons = new Set<string>();
  for (const file of listFiles(join(dir, 'lessons'), ['.md'])) {
    const r = parseLesson(readText(file), show(file));
    issues.push(...r.issues);
    if (r.lesson) lessons.push(r.lesson);
    else brokenLessons.add(basename(file, '.md'));
  }
  const seenLessons = new Set<string>();
  for (const l of lessons) {
    if (seenLessons.has(l.id)) issues.push({ file: l.file, line: 1, message: `duplicate lesson id "${l.id}"` });
    seenLessons.add(l.id);
  }
  const banks: LoadedBank[] = [];
  if (options.banks === false) {
    if (issues.length) throw new ContentError(issues);
    return { lessons, banks };
  }
  for (const file of listFiles(join(dir, 'banks'), ['.yaml', '.yml', '.json'])) {
    const r = parseBankText(readText(file), show(file));
    issues.push(...r.issues);
    if (r.loaded) banks.push(r.loaded);
  }
  issues.push(...crossCheck(lessons, banks, { requireSources: true, brokenLessons }));
  if (issues.length) throw new ContentError(issues);
  return { lessons, banks };
}
