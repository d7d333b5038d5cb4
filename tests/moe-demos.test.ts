import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findCommand } from '../src/core/commands.js';
import { plainText } from '../src/core/markup.js';
import { DomainPromptsError, loadDomainPrompts, parseDomainPrompts } from '../src/core/moe/domain-prompts.js';
import { analyseDomains, chanceTopShare, pickLayers, specialisationSentence } from '../src/core/moe/domains.js';
import { domainsChartLayout, renderDomainsChart } from '../src/core/moe/domains-chart.js';
import { expertColor } from '../src/core/moe/palette.js';
import type { RouteResponse } from '../src/core/moe/protocol.js';
import { pickPair, ROUTING_QUIZ_GONE } from '../src/core/moe/routing-quiz.js';
import { MoeService, moeServiceFor } from '../src/core/moe/service.js';
import { fakeChoice, fakeTokens, startFakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { startFakeSglang } from './fakes/sglang.js';
import type { FakeServer } from './fakes/vllm-and-sglang.js';
import { startFakeVllm } from './fakes/vllm.js';
import { actor, appsWithPosts, as, buttons } from './helpers/app.js';
import { repoRoot } from './helpers/cli.js';
import { isPng, pixels, quizShows, SHIPPED_PROMPT_COUNT } from './helpers/moe-images.js';
import { tempDir } from './helpers/tmp.js';

/**
 * /moe domains and /moe quiz through the real core and a real SQLite file, against fakes of the
 * three endpoint kinds: the bot's own endpoint, vLLM and SGLang.
 */

const TOKEN = 'demo-token';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
const newApp = appsWithPosts();

type Kind = 'quizbot' | 'vllm' | 'sglang';
interface Endpoint {
  url: string;
  hits(path?: string): number;
  routePath: string;
  env: Record<string, string>;
}

async function endpoint(kind: Kind): Promise<Endpoint> {
  if (kind === 'quizbot') {
    const f = await startFakeMoeEndpoint({ token: TOKEN, experts: 16, topK: 2, moeLayers: 6 });
    open.push(f);
    return { url: f.url, hits: f.hits, routePath: '/v1/route', env: {} };
  }
  const f: FakeServer = kind === 'vllm' ? await startFakeVllm({ token: TOKEN, experts: 16, topK: 2, layers: 7 }) : await startFakeSglang({ token: TOKEN, experts: 16, topK: 2, layers: 7 });
  open.push(f);
  return { url: f.url, hits: f.hits, routePath: kind === 'vllm' ? '/v1/completions' : '/generate', env: { MOE_ENDPOINT_KIND: kind, MOE_NUM_EXPERTS: '16' } };
}

function setup(e: Endpoint, env: Record<string, string> = {}) {
  const made = newApp({ MOE_ENDPOINT_URL: e.url, MOE_API_TOKEN: TOKEN, MOE_RATE_LIMIT_PER_MINUTE: '100', ...e.env, ...env });
  return { ...made, ann: as(made.app, actor('ann')), bob: as(made.app, actor('bob')) };
}

/** A copy of the content with its own domains file. */
function contentWith(domainsYaml: string): string {
  const dir = tempDir();
  cpSync(join(repoRoot, 'content'), dir, { recursive: true });
  writeFileSync(join(dir, 'moe', 'domains.yaml'), domainsYaml);
  return dir;
}

const SHIPPED = loadDomainPrompts(join(repoRoot, 'content'));

describe('the domain prompts file (content/moe/domains.yaml)', () => {
  it('ships code, maths, prose and chat prompts, and its hash ignores comments and layout', () => {
    expect(SHIPPED.domains.map((d) => d.id)).toEqual(['code', 'maths', 'prose', 'chat']);
    for (const d of SHIPPED.domains) expect(d.prompts.length, d.id).toBeGreaterThanOrEqual(4);
    const reflowed = parseDomainPrompts(
      '# another comment\ndomains:\n' + SHIPPED.domains.map((d) => `- {id: ${d.id}, title: ${d.title}, prompts: ${JSON.stringify(d.prompts)}}`).join('\n'),
      'x.yaml',
    );
    expect(reflowed.hash).toBe(SHIPPED.hash);
    const edited = parseDomainPrompts('domains:\n  - {id: a, title: A, prompts: [one, two]}\n  - {id: b, title: B, prompts: [three, four]}\n', 'x.yaml');
    expect(edited.hash).not.toBe(SHIPPED.hash);
  });

  it.each([
    ['a YAML syntax error', 'domains:\n  - id: code\n    prompts: [unclosed\n', /domains\.yaml: line \d+, column \d+: /],
    ['a domain without prompts', 'domains:\n  - id: code\n    title: Code\n  - id: chat\n    title: Chat\n    prompts: [hi there, bye now]\n', /domains\.yaml: line 2, column \d+: prompts: is required/],
    ['one prompt only', 'domains:\n  - {id: code, title: Code, prompts: [x = 1]}\n  - {id: chat, title: Chat, prompts: [hi, yo]}\n', /prompts: needs at least 2 prompts/],
    ['an id used twice', 'domains:\n  - {id: code, title: Code, prompts: [a, b]}\n  - {id: code, title: More code, prompts: [c, d]}\n', /line 3, column \d+: the id 'code' is used twice/],
    ['a prompt too long', `domains:\n  - {id: code, title: Code, prompts: [a, "${'x'.repeat(301)}"]}\n  - {id: chat, title: Chat, prompts: [hi, yo]}\n`, /must be at most 300 characters/],
    ['an unknown field', 'domains:\n  - {id: code, title: Code, prompts: [a, b], colour: red}\n  - {id: chat, title: Chat, prompts: [hi, yo]}\n', /unknown field 'colour'/],
    ['a number for a prompt', 'domains:\n  - {id: code, title: Code, prompts: [a, 42]}\n  - {id: chat, title: Chat, prompts: [hi, yo]}\n', /quote it if it looks like a number/],
  ])('refuses %s with the file, line and what to fix', (_, text, message) => {
    const err = (() => {
      try {
        parseDomainPrompts(text, 'content/moe/domains.yaml');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DomainPromptsError);
    expect((err as Error).message).toMatch(/^The routing demo prompts cannot be read, so nothing was routed\. Fix content\/moe\/domains\.yaml: /);
    expect((err as Error).message).toMatch(message);
  });

  it('names a missing file and where it comes from', () => {
    expect(() => loadDomainPrompts(tempDir())).toThrow(/there is no .*moe\/domains\.yaml\. It ships with the bot's content/);
  });
});

/** Routes by hand: `experts[token][column]` is each token's top-k list per MoE layer. */
function route(tokens: string[], experts: number[][][], model = 'm'): RouteResponse {
  const layers = experts[0]!.length;
  return {
    protocol_version: 1,
    model,
    family: 'other',
    random_weights: false,
    experts: 8,
    top_k: 2,
    shared_experts: 0,
    tokens: tokens.map((text, index) => ({ index, id: index, text, generated: false })),
    moe_layers: [...Array(layers).keys()],
    dense_layers: [],
    routing: [...Array(layers).keys()].map((layer) => {
      const rows = experts.map((t) => t[layer]!);
      const load = new Array<number>(8).fill(0);
      for (const row of rows) for (const e of row) load[e]!++;
      return { layer, experts: rows, weights: rows.map(() => []), load };
    }),
    timings: { queue_ms: 0, tokenize_ms: 0, forward_ms: 1, total_ms: 1 },
    device: 'test',
    execution: 'eager',
  };
}

describe('the domains analysis', () => {
  const set = parseDomainPrompts('domains:\n  - {id: code, title: Code, prompts: [a, b]}\n  - {id: chat, title: Chat, prompts: [c, d]}\n', 'x.yaml');
  // Three MoE layers. Code's tokens use experts 0 and 1 in every layer; chat's spread over 2–7. <s> is left out.
  const code = route(['<s>', 'x', 'y'], [[[6, 7], [6, 7], [6, 7]], [[0, 1], [0, 1], [0, 1]], [[0, 1], [1, 0], [0, 2]]]);
  const code2 = route(['<s>', 'z'], [[[6, 7], [6, 7], [6, 7]], [[1, 0], [0, 1], [1, 3]]]);
  const chat = route(['<s>', 'p', 'q'], [[[6, 7], [6, 7], [6, 7]], [[2, 3], [4, 5], [6, 7]], [[4, 5], [6, 7], [2, 3]]]);
  const chat2 = route(['<s>', 'r'], [[[6, 7], [6, 7], [6, 7]], [[6, 7], [2, 3], [4, 5]]]);
  const report = analyseDomains(set, [
    [code, code2],
    [chat, chat2],
  ]);

  it('picks the first, middle and last MoE layers, fewer for small models', () => {
    expect(pickLayers(16).map((p) => `${p.position}:${p.column}`)).toEqual(['early:0', 'middle:7', 'late:15']);
    expect(pickLayers(2).map((p) => p.position)).toEqual(['early', 'late']);
    expect(pickLayers(1).map((p) => p.position)).toEqual(['early']);
    expect(report.layers.map((l) => [l.position, l.layer])).toEqual([
      ['early', 0],
      ['middle', 1],
      ['late', 2],
    ]);
  });

  it('counts each domain\u2019s choices per expert without special tokens, and its top experts\u2019 share', () => {
    expect(report.topN).toBe(2);
    expect(report.domains).toEqual([
      { id: 'code', title: 'Code', prompts: 2, tokens: 3 },
      { id: 'chat', title: 'Chat', prompts: 2, tokens: 3 },
    ]);
    const early = report.layers[0]!;
    // Code: 0 ×3, 1 ×3 of 6 choices; chat: 2, 4, 6 twice each, 3, 5, 7 once (ties go to the lower id).
    expect(early.domains[0]).toMatchObject({ top: [{ expert: 0, count: 3, share: 0.5 }, { expert: 1, count: 3, share: 0.5 }], topShare: 1 });
    expect(early.domains[1]!.top.map((e) => e.expert)).toEqual([2, 3]);
    expect(early.distinctTop).toBe(4);
    expect(report.evenShare).toBe(2 / 8);
  });

  it('sets the concentration against random routing of as many tokens, the same on every run', () => {
    // One token choosing 2 of 8 experts: its 2 busiest experts always take everything.
    expect(chanceTopShare(1, 2, 8, 2)).toBe(1);
    const many = chanceTopShare(300, 2, 8, 2);
    expect(many).toBeGreaterThan(2 / 8);
    expect(many).toBeLessThan(0.32);
    expect(chanceTopShare(300, 2, 8, 2)).toBe(many);
  });

  it('says whether the domains lean on experts of their own, on the same few, or on none more than chance', () => {
    const own = specialisationSentence(report);
    expect(own).toMatch(/^At the early layer \(layer 0\) each domain's 2 busiest experts take \d+% of its routing on average \(\d+% at the middle layer, \d+% at the late layer\): [\d.]+× the 25% of an even spread, above the \d+% random routing of as many tokens would give, and the domains' top lists name 4 different experts of 4 picks: each domain leans on experts of its own\.$/);
    const same = specialisationSentence({ ...report, layers: report.layers.map((l) => ({ ...l, distinctTop: 2 })) });
    expect(same).toContain("but the domains' top lists name 2 different experts of 4 picks: the domains lean on the same few experts, a preference of the router rather than specialisation by domain.");
    const none = specialisationSentence({ ...report, chanceShare: 0.95 });
    expect(none).toContain('no more than the 95% random routing of as many tokens would give, so these prompts show no specialisation.');
    expect(specialisationSentence({ ...report, randomWeights: true })).toMatch(/The model has random weights: any pattern is the untrained router’s, not learned specialisation\.$/);
  });

  it('draws each domain\u2019s top experts as segments in their colours, at their shares', async () => {
    const png = await renderDomainsChart(report);
    const g = domainsChartLayout(report);
    const img = await pixels(png);
    expect([img.width, img.height]).toEqual([g.width, g.height]);
    report.layers.forEach((l, pi) => {
      l.domains.forEach((d, di) => {
        const row = g.panels[pi]!.rows[di]!;
        d.top.forEach((e, k) => {
          const seg = row.segments[k]!;
          expect(seg.expert).toBe(e.expert);
          expect(seg.w).toBeCloseTo((e.share / g.axisMax) * g.barW, 6);
          expect(img.at(seg.x + 2, row.y + 3), `${l.position} ${d.title} expert ${e.expert}`).toEqual([...expertColor(e.expert)]);
        });
      });
    });
  });
});

describe.each(['quizbot', 'vllm', 'sglang'] as const)('/moe domains and /moe quiz on %s', (kind) => {
  it('/moe domains routes every prompt once, charts them, and a second run costs the endpoint nothing', async () => {
    const e = await endpoint(kind);
    const { ann, bob } = setup(e);
    const reply = await ann.command('moe domains');
    expect(reply.title).toBe('Which experts each kind of text uses most');
    expect(reply.image?.filename).toBe('moe-domains.png');
    expect(isPng(reply.image!.png)).toBe(true);
    const text = plainText(reply.text);
    expect(text).toMatch(/^At the (early|middle|late) layer \(layer \d+\) each domain's 4 busiest experts take \d+% of its routing on average \([^)]*\): [\d.]+× the 25% of an even spread, (above|no more than) the \d+% random routing/);
    for (const title of ['Code', 'Maths', 'Prose', 'Chat']) expect(text).toContain(`${title} ${5}`);
    expect(text).toMatch(/• Layer \d+ \(early\): Code → experts( \d+,){3} \d+ \(\d+%\); Maths/);
    expect(text).toMatch(/• Layer \d+ \(late\): /);
    expect(buttons(reply)).toEqual([{ label: 'Read the lesson: What experts specialise in', actionId: 'lesson:moe-routing:7' }]);
    expect(e.hits(e.routePath)).toBe(SHIPPED_PROMPT_COUNT);
    const calls = e.hits();

    const again = await bob.command('moe domains');
    expect(plainText(again.text)).toContain('Cached: this prompt set was routed on this model before');
    expect(again.image?.png.equals(reply.image!.png)).toBe(true);
    expect(e.hits()).toBe(calls);
  });

  it('/moe quiz shows one of two prompts\u2019 routing, grades the first answer as practice, and explains it from the comparison', async () => {
    const e = await endpoint(kind);
    const { app, ann, bob, sql } = setup(e);
    const question = await ann.command('moe quiz');
    expect(question.title).toBe('Practice — which prompt produced this routing? (no points)');
    expect(question.image?.filename).toBe('moe-quiz.png');
    const [a, b, unknown] = buttons(question);
    expect(a!.label).toMatch(/^A: /);
    expect(b!.label).toMatch(/^B: /);
    expect(unknown!.label).toBe("I don't know");
    const id = a!.actionId.split(':')[1]!;
    const moe = moeServiceFor(app.services.config)!;
    const quiz = moe.quizzes.get(id)!;
    expect(e.hits(e.routePath)).toBe(2);
    // The two prompts' routings, as the bot got them (cached: no call to the endpoint).
    const routes = (await moe.routeAll('test', quiz.prompts.map((p) => p.text))).value as [RouteResponse, RouteResponse];
    expect(e.hits(e.routePath)).toBe(2);
    // The image is the shown prompt's routing, not the other's; its tokens are hidden.
    expect(await quizShows(question.image!.png, routes)).toBe(quiz.shown);
    // What the question keeps: the shown routing without gate weights.
    expect(quiz.route.routing.map((l) => l.experts)).toEqual(routes[quiz.shown].routing.map((l) => l.experts));
    expect(quiz.route.routing.every((l) => l.weights.length === 0)).toBe(true);
    expect(plainText(question.text)).toContain(`“${quiz.prompts[0].text}”`);
    expect(plainText(question.text)).not.toMatch(/<s>/);

    const others = await bob.action(a!.actionId);
    expect(plainText(others.text)).toBe('This routing question is someone else\u2019s. Ask your own with /moe quiz.');

    const wrong = quiz.shown === 0 ? b! : a!;
    const right = quiz.shown === 0 ? a! : b!;
    const verdict = await ann.action(wrong.actionId);
    const letter = quiz.shown === 0 ? 'A' : 'B';
    const text = plainText(verdict.text);
    expect(text).toMatch(new RegExp(`^❌ Not this time: it was prompt ${letter} \\(${quiz.prompts[quiz.shown].domain}\\)`));
    // The explanation's figures, counted here from the two routings.
    const [shown, other] = quiz.shown === 0 ? routes : [routes[1], routes[0]];
    let differ = 0;
    shown.routing.forEach((l, c) => {
      for (let row = 0; row < quiz.rows; row++) if (l.experts[row]![0] !== other.routing[c]!.experts[row]![0]) differ++;
    });
    expect(text).toContain(`the top-1 expert differs between A and B in ${differ} of ${quiz.rows * shown.routing.length} cells`);
    const jaccards = shown.routing.map((l, c) => {
      const [mine, theirs] = [new Set(l.experts.flat()), new Set(other.routing[c]!.experts.flat())];
      return [...mine].filter((e) => theirs.has(e)).length / new Set([...mine, ...theirs]).size;
    });
    expect(text).toContain(`expert sets overlap by ${(jaccards.reduce((n, j) => n + j, 0) / jaccards.length).toFixed(2)} on average`);
    expect(text).toContain('A practice question: no points, and your quiz schedule is unchanged.');
    expect(verdict.replaceOriginal).toBe(true);
    expect(verdict.image?.filename).toBe('moe-quiz-answer.png');
    // The second press changes nothing.
    const again = await ann.action(right.actionId);
    expect(plainText(again.text)).toMatch(/^You answered this one already; answers after the first change nothing\.\n❌ Not this time/);

    // Another question, answered right.
    const next = buttons(verdict).find((x) => x.label === 'Another routing question')!;
    const second = await ann.action(next.actionId);
    const id2 = buttons(second)[0]!.actionId.split(':')[1]!;
    const quiz2 = moeServiceFor(app.services.config)!.quizzes.get(id2)!;
    const good = await ann.action(buttons(second)[quiz2.shown]!.actionId);
    expect(plainText(good.text)).toMatch(/^✅ Right: it was prompt [AB]/);
    // No points, no card, no review: a practice question leaves the learner's records alone.
    const db = sql();
    for (const table of ['awards', 'cards', 'reviews']) expect((db.prepare(`SELECT COUNT(*) n FROM ${table}`).get() as { n: number }).n, table).toBe(0);
    db.close();
  });

  it('says so in one sentence when the endpoint refuses, is overloaded or is down, and routes nothing for a bad prompts file', async () => {
    const e = await endpoint(kind);
    const wrong = setup(e, { MOE_API_TOKEN: 'not-the-token' });
    const refused = plainText((await wrong.ann.command('moe domains')).text);
    expect(refused).toBe("The MoE endpoint refused the bot: MOE_API_TOKEN does not match the endpoint's token.");
    expect(plainText((await wrong.ann.command('moe quiz')).text)).toMatch(/MOE_API_TOKEN/);

    const bad = setup(e, { CONTENT_DIR: contentWith('domains:\n  - {id: code, title: Code, prompts: [only one]}\n') });
    const before = e.hits();
    const routedBefore = e.hits(e.routePath);
    for (const command of ['moe domains', 'moe quiz']) {
      const reply = await bad.ann.command(command);
      expect(plainText(reply.text), command).toMatch(/^The routing demo prompts cannot be read, so nothing was routed\. Fix .*moe\/domains\.yaml: line 2, column \d+: prompts: needs at least 2 prompts; line 2, column 3: domains: needs at least 2 domains$/);
      expect(reply.visibility).toBe('ephemeral');
    }
    expect(e.hits(e.routePath)).toBe(routedBefore);
    expect(e.hits()).toBe(before);
  });
});

describe('the /moe domains report cache', () => {
  it('keeps a report under the name the endpoint\u2019s health gives, even when its routes name the model otherwise', async () => {
    const f = await startFakeMoeEndpoint({ token: TOKEN, experts: 16, topK: 2, moeLayers: 6, model: 'org/routed-name' });
    open.push(f);
    // A server whose health names the model by its served alias, its routes by its path.
    const aliasingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/v1/health')) return res;
      return Response.json({ ...((await res.json()) as object), model: 'served-alias' }, { status: res.status });
    };
    const moe = new MoeService({ baseUrl: f.url, token: TOKEN, timeoutMs: 5000, ratePerMinute: 100, fetch: aliasingFetch });
    const first = await moe.domains('ann', SHIPPED);
    expect(first.cached).toBe(false);
    expect(first.value.model).toBe('org/routed-name');
    const again = await moe.domains('bob', SHIPPED);
    expect(again.cached).toBe(true);
    expect(again.value).toBe(first.value);
    expect(f.hits('/v1/route')).toBe(SHIPPED_PROMPT_COUNT);
  });
});

describe('endpoint errors on vLLM and SGLang', () => {
  it('a vLLM server without --enable-return-routed-experts is named with the flag, for /moe domains and /moe quiz', async () => {
    const f = await startFakeVllm({ token: TOKEN, routedExperts: false });
    open.push(f);
    const { ann } = setup({ url: f.url, hits: f.hits, routePath: '/v1/completions', env: { MOE_ENDPOINT_KIND: 'vllm' } });
    for (const command of ['moe domains', 'moe quiz']) expect(plainText((await ann.command(command)).text), command).toContain('--enable-return-routed-experts');
  });

  it('an overloaded SGLang server (503 with Retry-After) is busy, and nothing half-routed is cached', async () => {
    const f = await startFakeSglang({ token: TOKEN, experts: 16, topK: 2, layers: 4 });
    open.push(f);
    const { ann } = setup({ url: f.url, hits: f.hits, routePath: '/generate', env: { MOE_ENDPOINT_KIND: 'sglang', MOE_NUM_EXPERTS: '16' } });
    await f.setFault({ kind: 'status', status: 503, body: { error: { message: 'Service Unavailable' } }, retryAfterS: 9 });
    expect(plainText((await ann.command('moe domains')).text)).toBe('The SGLang server is overloaded (HTTP 503); try again in about 9 s.');
    await f.setFault({ kind: 'none' });
    const ok = await ann.command('moe domains');
    expect(plainText(ok.text)).not.toContain('Cached');
    expect(ok.image?.filename).toBe('moe-domains.png');
  });

  it('a vLLM model that is not served is named (404), and an SGLang server that is down cannot be reached', async () => {
    const v = await startFakeVllm({ token: TOKEN });
    open.push(v);
    const missing = setup({ url: v.url, hits: v.hits, routePath: '/v1/completions', env: { MOE_ENDPOINT_KIND: 'vllm', MOE_MODEL: 'org/absent' } });
    expect(plainText((await missing.ann.command('moe quiz')).text)).toContain('does not serve the model org/absent');
    const s = await startFakeSglang({ token: TOKEN });
    open.push(s);
    const down = setup({ url: s.url, hits: s.hits, routePath: '/generate', env: { MOE_ENDPOINT_KIND: 'sglang' } });
    await s.setFault({ kind: 'down' });
    expect(plainText((await down.ann.command('moe domains')).text)).toMatch(/^The MoE endpoint at 127\.0\.0\.1:\d+ cannot be reached/);
  });
});

describe('/moe domains and /moe quiz without an endpoint, and their declarations', () => {
  it('are slow catalogue commands that explain the setup when MOE_ENDPOINT_URL is not set', async () => {
    for (const key of ['moe domains', 'moe quiz']) expect(findCommand(key)?.slow, key).toBe(true);
    const { app } = newApp({});
    const ann = as(app, actor('ann'));
    for (const reply of [await ann.command('moe domains'), await ann.command('moe quiz'), await ann.action('moe.quiz.next')]) {
      expect(reply.title).toBe('Live MoE routing is not set up');
      expect(plainText(reply.text)).toContain('set MOE_ENDPOINT_URL to its address');
      expect(reply.image).toBeUndefined();
    }
    expect(plainText((await ann.action('moe.quiz:AAAAAAAA:a')).text)).toBe(ROUTING_QUIZ_GONE);
  });

  it('an unknown or expired routing question says so; the quiz picks two prompts of two domains', async () => {
    const e = await endpoint('quizbot');
    const { ann } = setup(e);
    expect(plainText((await ann.action('moe.quiz:abcdefgh:b')).text)).toBe(ROUTING_QUIZ_GONE);
    const draws = [0.1, 0.9, 0.3, 0.6, 0.7, 0.2, 0.8, 0.05];
    const shownSeen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      let n = i;
      const { prompts, shown } = pickPair(SHIPPED, () => draws[n++ % draws.length]!);
      expect(prompts[0].domain).not.toBe(prompts[1].domain);
      shownSeen.add(shown);
    }
    // Either prompt can be the one shown.
    expect([...shownSeen].sort()).toEqual([0, 1]);
    // The quizbot fake's routing of a prompt, as the analysis counts it: a check of the shipped set's figures.
    const code = SHIPPED.domains[0]!;
    const reply = await ann.command('moe domains');
    const counts = new Map<number, number>();
    for (const p of code.prompts) for (const t of fakeTokens(p).filter((t) => t !== '<s>')) for (const x of fakeChoice(t, 0, 16, 2).experts) counts.set(x, (counts.get(x) ?? 0) + 1);
    const top = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, 4).map(([x]) => x);
    expect(plainText(reply.text)).toContain(`Layer 0 (early): Code → experts ${top.join(', ')} (`);
  });
});
