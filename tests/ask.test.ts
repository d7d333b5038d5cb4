import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ask } from '../src/core/ask/ask.js';
import { whyButton } from '../src/core/ask/commands.js';
import { citedNumbers, completionsUrl, stripThinking, SYSTEM_PROMPT } from '../src/core/ask/llm.js';
import { indexTerms, queryTerms } from '../src/core/ask/synonyms.js';
import { loadContent, parseLesson, type Lesson } from '../src/core/content/load.js';
import { plainText } from '../src/core/markup.js';
import { LessonLibrary } from '../src/core/services.js';
import { FakeLlmServer } from './fakes/openai-compatible.js';
import { actor, as, buttons, makeApp } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';

const content = loadContent(join(repoRoot, 'content'));
const REPHRASE = 'why does my MoE model answer differently when I rephrase?';

/** Services for ask() on the real lessons, with the log lines kept for inspection. */
function askServices(env: Record<string, string> = {}, lessons: Lesson[] = content.lessons) {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const config = loadConfig({ CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: join(repoRoot, '.tmp', 'unused.sqlite'), ...env }, '/nonexistent/.env');
  return { config, lessons: new LessonLibrary(lessons), logger: pino({ level: 'debug' }, sink), logs };
}

/** Lesson text without list marks and line breaks, where quotes that span list items can be found. */
function flat(body: string): string {
  return plainText(body)
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/gm, '')
    .replace(/\s+/g, ' ');
}

/** The flattened text of every section of the real lessons, keyed `lessonId/section title`. */
const sectionText = new Map<string, string>(content.lessons.flatMap((l) => l.sections.map((s) => [`${l.id}/${s.title}`, flat(s.body)] as const)));

function expectQuotedFromLessons(answer: Awaited<ReturnType<typeof ask>>): void {
  for (const c of answer.citations) {
    const body = sectionText.get(`${c.lessonId}/${c.section}`);
    expect(body, `${c.lessonId}/${c.section}`).toBeDefined();
    for (const piece of c.quote.split(' … ')) expect(body).toContain(piece);
  }
}

describe('/ask extractive answers', () => {
  it("answers the issue's example from the lessons, quoting sentences in lesson order with numbered citations", async () => {
    const answer = await ask(askServices(), REPHRASE);
    expect(answer.abstained).toBe(false);
    expect(answer.source).toBe('extractive');
    expect(answer.answer).toMatch(/rephras|reword|routing variance/i);
    expect(answer.parts.length).toBeGreaterThan(0);
    expect(answer.parts.length).toBeLessThanOrEqual(3);
    for (const p of answer.parts) {
      const c = answer.citations[p.citation - 1]!;
      expect(sectionText.get(`${c.lessonId}/${c.section}`)).toContain(p.text);
      expect(answer.answer).toContain(`${p.text} [${p.citation}]`);
    }
    // Lesson order: by lesson, then section, then place in the section.
    const lessonIndex = (id: string) => content.lessons.findIndex((l) => l.id === id);
    const keys = answer.parts.map((p) => {
      const c = answer.citations[p.citation - 1]!;
      return [lessonIndex(c.lessonId), c.sectionIndex, sectionText.get(`${c.lessonId}/${c.section}`)!.indexOf(p.text)];
    });
    const sorted = [...keys].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
    expect(keys).toEqual(sorted);
    expectQuotedFromLessons(answer);
  });

  it('replies with numbered sources and a button per cited section that opens it', async () => {
    const { app } = makeApp();
    const ann = as(app, actor('ann'));
    const reply = await ann.command('ask', { question: 'how can a 600B model be as cheap to run as a 30B dense model?' });
    expect(reply.visibility).toBe('public');
    const text = plainText(reply.text);
    expect(text).toContain('a 600B model can run as cheaply as a 30B dense one. [1]');
    expect(text).toContain('Sources\n[1] Mixture-of-Experts Models: Mixtral, DeepSeek, Qwen MoE — Why some models are faster than their size');
    const read = buttons(reply);
    expect(read[0]).toEqual({ label: expect.stringMatching(/^Read (the lesson|\[1\]: Why some models)/), actionId: 'lesson:moe-model-families:4' });
    const opened = await ann.action(read[0]!.actionId);
    expect(plainText(opened.text)).toMatch(/^Why some models are faster than their size\n/);

    const hidden = await ann.command('ask', { question: 'what is a load balancing loss', private: true });
    expect(hidden.visibility).toBe('ephemeral');
    expect(plainText(hidden.text)).toMatch(/load-balancing loss/);

    const tooLong = await ann.command('ask', { question: 'why '.repeat(130) });
    expect(tooLong.text).toContain("Option 'question' must be at most 500 characters");
    app.close();
  });

  it("says plainly when the lessons don't cover a question, and suggests the closest lessons", async () => {
    const services = askServices();
    const unrelated = await ask(services, 'What is FlashAttention?');
    expect(unrelated).toMatchObject({ abstained: true, citations: [], source: 'none' });
    expect(unrelated.answer).toMatch(/^The lessons don't cover that\./);

    // The lessons name GPT-4 but give no figure for it: no answer, and the closest lessons.
    const near = await ask(services, 'How many experts does GPT-4 use?');
    expect(near.abstained).toBe(true);
    expect(near.notice).toBe("The lessons don't give that figure.");
    expect(near.suggestions.map((s) => s.lessonId)).toContain('moe-behave-differently');
    expect(near.answer).toContain('Closest lessons: ');

    const { app } = makeApp();
    const reply = await as(app, actor('ann')).command('ask', { question: 'How many experts does GPT-4 use?' });
    expect(plainText(reply.text)).toMatch(/^The lessons don't give that figure\.\nThe closest lessons:\n• .+ — /);
    expect(buttons(reply).some((b) => b.label.startsWith('Open: ') && /^lesson:moe-[a-z-]+:\d+$/.test(b.actionId))).toBe(true);
    app.close();
  });

  it('finds the lessons through domain synonyms, word forms and typos', async () => {
    const services = askServices();
    const allText = [...sectionText.values()].join('\n').toLowerCase();
    expect(allText).not.toContain('gating network'); // the lessons say "router" and "gate"
    const gating = await ask(services, 'what does the gating network do?');
    expect(gating.abstained).toBe(false);
    expect(gating.answer).toMatch(/The router is the component|also called the router/);

    expect(queryTerms('mixture of experts').all.map((t) => t.term)).toContain('~moe');
    expect(queryTerms('MoE').all.map((t) => t.term)).toContain('~moe');

    const typos = await ask(services, 'waht does sparse activaton mean');
    expect(typos.abstained).toBe(false);
    expect(typos.answer).toMatch(/Sparse activation means/);

    const forms = await ask(services, 'what keeps the utilisation of the experts even?');
    expect(forms.answer).toMatch(/load-balancing losses (to )?keep (expert )?utilization even/);
  });

  it('never answers from the quiz questions, even when asked in their own words', async () => {
    const services = askServices();
    for (const { bank } of content.banks) {
      for (const q of bank.questions) {
        const answer = await ask(services, `${q.prompt} ${q.explanation}`);
        expectQuotedFromLessons(answer);
        for (const p of answer.parts) expect(q.explanation.includes(p.text) && !sectionTextIncludes(p.text)).toBe(false);
      }
    }
  });

  it('rebuilds its index when the lessons are replaced', async () => {
    const services = askServices();
    const question = 'what is expert pruning?';
    expect((await ask(services, question)).abstained).toBe(true);
    const extra = parseLesson(
      '---\nid: pruning\ntitle: Expert pruning\nsummary: Removing experts.\nminutes: 5\n---\n\n## Pruning experts\n\nExpert pruning removes the experts that the router rarely chooses, to save memory.\n',
      'pruning.md',
    ).lesson!;
    services.lessons.replace([...content.lessons, extra]);
    const answer = await ask(services, question);
    expect(answer.abstained).toBe(false);
    expect(answer.citations[0]).toMatchObject({ lessonId: 'pruning', section: 'Pruning experts' });
  });

  it('explains a quiz question from its cited section with the Why? button', async () => {
    const { app } = makeApp();
    const ann = as(app, actor('ann'));
    expect(whyButton('tradeoffs-rephrase-routing')).toEqual({ kind: 'button', label: 'Why?', actionId: 'why:tradeoffs-rephrase-routing', style: 'secondary' });
    const reply = await ann.action(whyButton('tradeoffs-rephrase-routing').actionId);
    expect(reply.visibility).toBe('ephemeral');
    const text = plainText(reply.text);
    expect(text).toContain('[1] Mixture-of-Experts: Why MoE Models Behave Differently — How routing shapes MoE behavior');
    expect(buttons(reply)[0]!.actionId).toBe('lesson:moe-behave-differently:1');

    const gone = await ann.action('why:no-such-question');
    expect(gone).toMatchObject({ text: 'That question is no longer in the question banks.', visibility: 'ephemeral' });
    app.close();
  });
});

function sectionTextIncludes(text: string): boolean {
  return [...sectionText.values()].some((body) => body.includes(text));
}

describe('/ask phrase tables', () => {
  it('gives no lesson word the concept of a phrase that only shares its stem', () => {
    // "ads" and "added" both stem to "ad"; "positives" and "positions" to "posit"; "plan b" loses its "b".
    expect(indexTerms('A load-balancing loss is an auxiliary loss added during training.')).not.toContain('~marketing');
    expect(indexTerms('The tokens, their positions and the context change.')).not.toContain('~do-well');
    expect(indexTerms('Plan the GPU memory budget first.')).not.toContain('~fallback');
    // The phrases that replace them still work.
    expect(indexTerms('is there a backup plan')).toContain('~fallback');
    expect(indexTerms('MoE advertising quotes the active count')).toContain('~marketing');
  });
});

describe('/ask with a language model (OpenAI-compatible server on 127.0.0.1)', () => {
  let server: FakeLlmServer;
  let env: Record<string, string>;
  const API_KEY = 'sk-test-7d1e2f-never-logged';

  beforeEach(async () => {
    server = new FakeLlmServer();
    await server.start();
    env = { LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'fake-tutor', LLM_API_KEY: API_KEY, LLM_TIMEOUT_MS: '10000' };
  });
  afterEach(() => server.stop());

  /** The passages of the last request: number → "Lesson — Section" label and text. */
  function sentPassages(): { label: string; text: string }[] {
    const body = JSON.parse(server.requests.at(-1)!.body) as { messages: { content: string }[] };
    const user = body.messages[1]!.content;
    const block = user.slice('Lesson passages:\n\n'.length, user.lastIndexOf('\n\nQuestion: '));
    return block.split(/\n\n(?=\[\d+\] )/).map((p) => {
      const [first, ...rest] = p.split('\n');
      return { label: first!.replace(/^\[\d+\] /, ''), text: rest.join('\n') };
    });
  }

  it('uses a well-cited answer, renumbering its citations in order of use', async () => {
    server.behaviour = { kind: 'reply', content: 'Different tokens can be routed to different experts [2], which is routing variance [1].' };
    const services = askServices(env);
    const answer = await ask(services, REPHRASE);
    expect(services.logs).toEqual([]);
    expect(answer.source).toBe('generated');
    expect(answer.answer).toBe('Different tokens can be routed to different experts [1], which is routing variance [2].');
    const passages = sentPassages();
    expect(passages.length).toBeGreaterThanOrEqual(2);
    expect(answer.citations.map((c) => `${c.lessonTitle} — ${c.section}`)).toEqual([passages[1]!.label, passages[0]!.label]);
    expectQuotedFromLessons(answer);
  });

  it('sends only the question and the lesson passages', async () => {
    server.behaviour = { kind: 'reply', content: 'Routing shapes quality [1].' };
    const { app } = makeApp(env);
    const reply = await as(app, actor('learner-7f3a'), 'channel-91b2', 'server-55c0').command('ask', { question: REPHRASE });
    expect(plainText(reply.text)).toContain('Routing shapes quality [1].');
    expect(plainText(reply.text)).toContain('Written by a language model');
    app.close();

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const body = JSON.parse(request.body) as Record<string, any>;
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream', 'temperature']);
    expect(body.model).toBe('fake-tutor');
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[0].content).toBe(SYSTEM_PROMPT);
    const user: string = body.messages[1].content;
    expect(user.startsWith('Lesson passages:\n\n[1] ')).toBe(true);
    expect(user.endsWith(`\n\nQuestion: ${REPHRASE}`)).toBe(true);
    const labels = new Map<string, string>(content.lessons.flatMap((l) => l.sections.map((s) => [`${l.title} — ${s.title}`, `${l.id}/${s.title}`] as const)));
    for (const p of sentPassages()) {
      expect(labels.has(p.label), p.label).toBe(true);
      expect(sectionText.get(labels.get(p.label)!)).toBe(flat(p.text));
    }
    for (const secret of ['learner-7f3a', 'channel-91b2', 'server-55c0', 'terminal']) expect(request.body).not.toContain(secret);
  });

  it('falls back to the lesson quotes when the model cites a passage it was not given', async () => {
    server.behaviour = { kind: 'reply', content: 'Routing shapes quality [1] and GPUs melt [7].' };
    const services = askServices(env);
    const answer = await ask(services, REPHRASE);
    expect(answer.source).toBe('extractive');
    expect(answer.answer).not.toContain('GPUs melt');
    expect(services.logs.join('')).toContain('cites passage 7');
    expect(services.logs.join('')).not.toContain(API_KEY);
  });

  it('strips <think> blocks from the answer', async () => {
    server.behaviour = { kind: 'reply', content: '<think>The learner wants [9]; secret reasoning.</think>\nRouting shapes quality [1].' };
    const answer = await ask(askServices(env), REPHRASE);
    expect(answer.source).toBe('generated');
    expect(answer.answer).toBe('Routing shapes quality [1].');
  });

  it('falls back when the model does not answer in time', async () => {
    server.behaviour = { kind: 'hang' };
    // Only here is the limit short: the fake never answers, so the bot must stop waiting.
    const services = askServices({ ...env, LLM_TIMEOUT_MS: '300' });
    const answer = await ask(services, REPHRASE);
    expect(answer.source).toBe('extractive');
    expect(answer.abstained).toBe(false);
    expect(services.logs.join('')).toContain('no reply within 300 ms');
  });

  it('falls back on an HTTP error', async () => {
    server.behaviour = { kind: 'status', status: 500 };
    const services = askServices(env);
    const answer = await ask(services, REPHRASE);
    expect(answer.source).toBe('extractive');
    expect(services.logs.join('')).toContain('HTTP 500');
    expect(services.logs.join('')).not.toContain(API_KEY);
  });

  it('does not ask the model when the lessons do not cover the question', async () => {
    const answer = await ask(askServices(env), 'What is FlashAttention?');
    expect(answer.abstained).toBe(true);
    expect(server.requests).toHaveLength(0);
  });
});

describe('/ask reply checks', () => {
  it('strips reasoning, reads citations and finds the completions URL', () => {
    expect(stripThinking('<think>a</think>b <think>c</think>d')).toBe('b d');
    expect(stripThinking('reasoning without an opening tag</think> answer')).toBe('answer');
    expect(stripThinking('answer <think>cut off')).toBe('answer');
    expect(citedNumbers('a [1] b [2, 3][4] c [x]')).toEqual([1, 2, 3, 4]);
    expect(completionsUrl('http://h:8000')).toBe('http://h:8000/v1/chat/completions');
    expect(completionsUrl('http://h:8000/v1/')).toBe('http://h:8000/v1/chat/completions');
    expect(completionsUrl('http://h/v1/chat/completions')).toBe('http://h/v1/chat/completions');
  });
});
