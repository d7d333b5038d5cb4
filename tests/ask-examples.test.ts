import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_FIGURE, NOT_COVERED, NOT_EXPLAINED, type AskAnswer } from '../src/core/ask/answer.js';
import { answerFromLessons } from '../src/core/ask/ask.js';
import { buildAskIndex, type AskIndex } from '../src/core/ask/search-index.js';
import { lessonSentences, unChat } from '../src/core/ask/text.js';
import { loadContent, type Lesson } from '../src/core/content/load.js';
import { plainText } from '../src/core/markup.js';
import { actor, as, makeApp } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';

/**
 * Questions a new user asks, answered on the real lessons: paraphrases, phonetic misspellings, list
 * and figure questions, the README's own examples, and "AI can …" sentences that must read as what
 * the lessons say about AI tools.
 */

const { lessons } = loadContent(join(repoRoot, 'content'));
const index = buildAskIndex(lessons);
const answer = (q: string, idx: AskIndex = index): AskAnswer => answerFromLessons(idx, q).answer;

/** Every quoted part is a lesson sentence (or one framed as what the lessons say AI can do). */
function expectQuotes(a: AskAnswer, from: readonly Lesson[] = lessons): void {
  const all = new Set(from.flatMap((l) => l.sections.flatMap((s) => lessonSentences(s.body).map((x) => x.text))));
  for (const p of a.parts) {
    const unframed = p.text.replace(/^In the lessons, something AI (can|cannot) do: /, (_, can: string) => `AI ${can} `);
    expect(all.has(unframed), p.text).toBe(true);
  }
}

describe('/ask on questions worded as a new user words them', () => {
  it('finds the lower per-token cost for paraphrases that share no words with it', () => {
    for (const q of ['how can an moe have way more parameters but cost less per token?', 'is moe cheaper per token than dense models of similar quality?']) {
      const a = answer(q);
      expect(a.abstained, q).toBe(false);
      expect(a.answer, q).toMatch(/lower per-token cost|without a proportional increase in inference cost|as cheaply as a 30B dense one/);
      expect(a.answer, q).not.toMatch(/^Active parameters are/);
      expectQuotes(a);
    }
  });

  it('repairs a phonetic misspelling', () => {
    const a = answer('wat is sparse activashun');
    expect(a.abstained).toBe(false);
    expect(a.answer).toMatch(/^Sparse activation means/);
  });

  it('answers "which kinds" with the list item that names them', () => {
    const a = answer('where is MoE quality uneven - which kinds of topics?');
    expect(a.abstained).toBe(false);
    expect(a.answer).toContain('rare topics');
    expectQuotes(a);
  });

  it('answers the README example worded naturally', () => {
    const a = answer('why does my MoE model answer differently when I rephrase a question?');
    expect(a.abstained).toBe(false);
    expect(a.answer).toMatch(/rephras|reword|routing variance/i);
    expectQuotes(a);
  });

  it('frames "AI can …" sentences as what the lessons say AI tools can do', () => {
    for (const q of ['should we self-host deepseek or use an API?', 'can AI tell me which experts activate for my prompt', 'what can AI not do for moe']) {
      const a = answer(q);
      for (const p of a.parts) expect(p.text, q).not.toMatch(/^AI (can|cannot) /);
      expectQuotes(a);
    }
    const a = answer('can AI predict my per-query cost?');
    expect(a.answer).toMatch(/In the lessons, something AI cannot do: predict per-query cost without testing\./);
  });
});

describe('/ask on the way learners write and what lessons cite', () => {
  it('keeps "et al." citations inside their sentence, so a "who" question finds the name', () => {
    expect(lessonSentences('Shazeer et al. (2017), "Outrageously Large Neural Networks", introduced it. Switch Transformer (Fedus et al. 2021) routes, e.g. Mixtral. Next.').map((x) => x.text)).toEqual([
      'Shazeer et al. (2017), "Outrageously Large Neural Networks", introduced it.',
      'Switch Transformer (Fedus et al. 2021) routes, e.g. Mixtral.',
      'Next.',
    ]);
    const a = answer('who came up with noisy top-k gating');
    expect(a.abstained).toBe(false);
    expect(a.answer).toMatch(/^Shazeer et al\. \(2017\)/);
    const b = answer('how many experts does switch transformer send each token to');
    expect(b.abstained).toBe(false);
    expect(b.answer).toMatch(/a single expert \(top-1\)/);
    expectQuotes(b);
  });

  it('reads chat spellings of question words ("wat", "y", "r")', () => {
    const a = answer('wat context length does olmoe support');
    expect(a.abstained).toBe(false);
    expect(a.answer).toMatch(/^OLMoE-1B-7B has a context length of 4,096 tokens/);
    const b = answer('r moe models easy to debug');
    expect(b.abstained).toBe(false);
    expect(b.answer).toMatch(/not debug-friendly/);
    const c = answer('y do moe models answer differently when i reword a prompt');
    expect(c.abstained).toBe(false);
    expect(c.answer).toMatch(/rephras|reword/i);
  });

  it('asks for the measure named, not a word with the same stem ("tokenizer" is not "token")', () => {
    const a = answer('whats the tokenizer of gpt-oss');
    expect(a.abstained).toBe(true);
    expect(a.notice).toBe(NO_FIGURE);
  });

  it('does not answer about a model the lessons never mention, nor a yes/no question about a model with a sentence that says nothing of what was asked', () => {
    for (const q of ['what router does switch transformer v2 use', 'does dbrx use shared experts', 'does llama 4 use sigmoid or softmax scores']) {
      const a = answer(q);
      expect(a.abstained, q).toBe(true);
      expect(a.notice, q).toBe(NOT_COVERED);
    }
    const yes = answer('does mixtral have any shared experts');
    expect(yes.abstained).toBe(false);
    expect(yes.answer).toMatch(/Mixtral[^.]*no shared experts/);
  });

  it('reads "what does X mean" as a definition, irregular verbs by their base form, and an everyday word as itself', () => {
    expect(answer('what does expert routing mean').answer).toMatch(/Expert routing is/);
    const made = answer('which company made dbrx');
    expect(made.abstained).toBe(false);
    expect(made.answer).toMatch(/Databricks/);
    // "fully" is not read as the lessons' "full".
    const open = answer('is olmoe fully open');
    expect(open.abstained).toBe(false);
    expect(open.answer).toMatch(/open weights, data and code/);
    // "soft" is a whole word, not the start of "softmax".
    expect(answer('explain soft mixture of experts, the google one').abstained).toBe(true);
  });

  it('reads terse and misspelt questions for what they ask: "what decides" is no definition, "how to" asks for steps, a bare "<model> <measure>" asks for a figure, "whens" for a date', () => {
    const router = answer('wot decides wich experts get a tokin');
    expect(router.abstained).toBe(false);
    expect(router.answer).toMatch(/decides which expert handles each token|router/i);
    expect(answer('expert ofloading how to').abstained).toBe(true);
    for (const q of ['how meny layers in qwen3', 'mixtral licence', 'deepseek v3 trainng cost']) {
      const a = answer(q);
      expect(a.abstained, q).toBe(true);
      expect(a.notice, q).toBe(NO_FIGURE);
    }
    const when = answer('whens qwen 3 out');
    expect(when.abstained).toBe(false);
    expect(when.answer).toMatch(/^Qwen3[^.]*released in April 2025/);
  });

  it('answers yes/no questions about a model from what the lessons say of it, even when the answer is no', () => {
    expect(answer('does olmoe use sigmoid scores').answer).toMatch(/^Mixtral, Qwen-MoE, OLMoE and DeepSeek-V2 compute softmax scores/);
    expect(answer('does gpt-oss use shared experts in its 20b version').answer).toMatch(/GPT-OSS has no shared experts/);
  });

  it('reads a description as a question, not as a term to define, and "what fraction" as a figure', () => {
    expect(unChat('how come only part of the model works')).toBe('why only part of the model works');
    const thing = answer('whats the thing inside an moe that hands each token to experts');
    expect(thing.abstained).toBe(false);
    expect(answer('what does the number after the A in qwen model names mean').answer).toMatch(/the A2\.7B in its name is the active count/);
    expect(answer('what fraction of mixtral 8x22b is active').answer).toMatch(/^Mixtral 8x22B has 141 billion parameters in total, of which 39 billion are active/);
  });

  it('reads a word the lessons never use followed by a version as a model they do not teach, and needs a ranking to say one model is better', () => {
    const phi = answer('how many experts does phi 3.5 moe have');
    expect(phi.abstained).toBe(true);
    expect(phi.notice).toBe(NOT_COVERED);
    expect(answer('is olmoe better than mixtral').abstained).toBe(true);
    expect(answer('what precision is gpt oss released in').abstained).toBe(true);
    expect(answer('when was switch transformer released').answer).toMatch(/Switch Transformer \(Fedus et al\. 2021\)/);
  });

  it('defines a term from the section named after it, and reads a misspelt comparison as a comparison', () => {
    // No sentence reads "the capacity factor is …"; the section titled by it explains it.
    const capacity = answer('what is the expert capacity factor');
    expect(capacity.abstained).toBe(false);
    expect(capacity.citations.map((c) => c.section)).toEqual(['Capacity factor and token dropping']);
    expect(answer('what is top-k routing').citations[0]?.section).toBe('Top-k selection and renormalisation');
    // "in deepseek" places the term; the definition of a shared expert answers it.
    expect(answer('what is a shared expert in deepseek').answer).toMatch(/^A shared expert is an expert that processes every token/);
    const difference = answer('wats the diffrence between aktive and totel paramiters');
    expect(difference.abstained).toBe(false);
    expect(difference.answer).toMatch(/active parameters/i);
    // An adverb after the term, or a second question after it, leaves the definition asked for.
    expect(answer('what is routing observability exactly').notice).toBe(NOT_EXPLAINED);
    expect(answer('what is a residual connection exactly and why does it help training').notice).toBe(NOT_EXPLAINED);
    // A term the lessons name but never explain, and no section is about, is still declined.
    expect(answer('what is expert offloading').abstained).toBe(true);
  });

  it('reads "who makes" as who released a model, and experts that "fire" per token as those each token is routed to', () => {
    expect(answer('who makes gpt-oss').answer).toMatch(/released by OpenAI/);
    expect(answer('how many experts fire per token in olmoe').answer).toMatch(/^OLMoE-1B-7B routes each token to 8 of its 64 experts/);
  });

  it('declines facts about a model that the lessons do not give, rather than quoting a source list or another fact', () => {
    // "jamba", a word the lessons never use, is what the question asks about.
    expect(answer('whats the active param count of jamba').abstained).toBe(true);
    // "what dataset was Mixtral trained on" asks a fact of Mixtral, which no sentence about Mixtral states.
    expect(answer('what dataset was mixtral trained on').abstained).toBe(true);
    // The Sources list repeats Mixtral's figures next to "Mistral AI"; a citation is not an answer.
    const large = answer('how many experts does mistral large have');
    expect(large.abstained).toBe(true);
    expect(large.notice).toBe(NO_FIGURE);
    // "iz" is chat spelling for "is", so this asks what the router is.
    expect(answer('wat iz the rooter in moe').answer).toMatch(/^The router is the component/);
  });

  it('answers a list question about the models with the list about the models, not the list of what AI tools cannot do', () => {
    const a = answer('moe cons');
    expect(a.abstained).toBe(false);
    expect(a.answer).toMatch(/memory-constrained hardware/);
    expect(a.answer).not.toMatch(/something AI cannot do/);
  });

  it('does not answer a question about one model with sentences about other models', () => {
    // Without that rule, these quote DeepSeek-V3's sigmoid scores and OLMoE's dropless training.
    for (const q of ['why would llama 4 use sigmoid scores', 'why does dbrx drop tokens']) {
      const a = answer(q);
      expect(a.abstained, q).toBe(false);
      expect(a.answer, q).not.toMatch(/DeepSeek|Mixtral|OLMoE|Qwen|GPT-OSS/);
      expectQuotes(a);
    }
  });
});

/** The lessons' sentences that give a model's expert count ("DeepSeek-V3 activates 9 experts"). */
function givesCount(from: readonly Lesson[], model: RegExp): boolean {
  return from.some((l) => l.sections.some((s) => lessonSentences(s.body).some((x) => model.test(x.text) && /\b\d+\s+(?:of its \d+\s+)?(?:routed\s+)?experts?\b/.test(x.text))));
}

describe('/ask on a figure the lessons may or may not give', () => {
  const cases: [string, RegExp, string][] = [
    ['how many experts does DeepSeek-V3 activate', /DeepSeek-V3/, 'DeepSeek-V3'],
    ['how many experts does Mixtral 8x7B use per token?', /Mixtral(?: 8x7B)?\b/, 'Mixtral 8x7B'],
  ];

  /**
   * When a lesson gives the figure the answer quotes it; when none does, /ask declines and offers
   * the closest lessons: "no figure" when the lessons name the model, "not covered" when they never do.
   */
  function check(from: readonly Lesson[]): void {
    const idx = buildAskIndex(from);
    for (const [q, model, name] of cases) {
      const a = answer(q, idx);
      if (givesCount(from, model)) {
        expect(a.abstained, q).toBe(false);
        expect(a.answer, q).toMatch(model);
        expect(a.answer, q).toMatch(/\b\d+\s+(?:of its \d+\s+)?(?:routed\s+)?experts?\b/);
        expectQuotes(a, from);
      } else {
        expect(a.abstained, q).toBe(true);
        const named = from.some((l) => l.sections.some((x) => x.body.includes(name)));
        expect(a.notice, q).toBe(named ? NO_FIGURE : NOT_COVERED);
        expect(a.suggestions.length, q).toBeGreaterThan(0);
        expect(a.answer, q).toContain('Closest lessons: ');
      }
    }
  }

  it('holds on the lessons as they are', () => check(lessons));

  it('holds on lessons that name the models without their expert counts', () => {
    const without = lessons.filter((l) => !givesCount([l], /DeepSeek-V3|Mixtral/));
    expect(without.length).toBeGreaterThan(0);
    expect(givesCount(without, /DeepSeek-V3/)).toBe(false);
    check(without);
  });

  it('declines in the chat with the closest lessons', async () => {
    const { app } = makeApp();
    const reply = await as(app, actor('ann')).command('ask', { question: 'how many experts does GPT-4 activate?' });
    expect(plainText(reply.text)).toMatch(/^The lessons don't give that figure\.\nThe closest lessons:\n• /);
    app.close();
  });
});

describe("the README's /ask examples", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/`\/(?:quiz )?ask ([^`<>]+?)`/g)].map((m) => m[1]!.replace(/\s+private:yes$/, '').trim()).filter((q) => q.length > 3);

  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it('answers each of them from the lessons', () => {
    for (const q of examples) {
      const a = answer(q);
      expect(a.abstained, q).toBe(false);
      if (/differently/.test(q)) expect(a.answer, q).toMatch(/rephras|reword|routing variance|vary/i);
      if (/^how many/.test(q)) expect(a.answer, q).toMatch(/\d/);
      expectQuotes(a);
    }
  });
});
