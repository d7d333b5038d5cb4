import { encodeAction } from '../actions.js';
import { typedCommand } from '../catalogue.js';
import type { Capability, CommandContext, CommandHandler } from '../dispatcher.js';
import type { Actor, Button, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { renderCompareChart } from './compare-chart.js';
import { renderHeatmap } from './heatmap.js';
import type { CompareResponse, RouteResponse } from './protocol.js';
import { MoeEndpointError } from './client.js';
import { servedModelLines } from './kinds/describe.js';
import { isServedModel, type MoeModelInfo } from './kinds/index.js';
import { moeServiceFor, type Answer, type MoeService } from './service.js';
import { compareSummaryLines, flakinessSentence, routeSummaryLines, summarizeCompare, summarizeRoute } from './summary.js';
import { loadDomainPrompts } from './domain-prompts.js';
import { renderDomainsChart } from './domains-chart.js';
import { domainLines, specialisationSentence, type DomainReport } from './domains.js';
import { explanation, pickPair, ROUTING_QUIZ_GONE, type QuizChoice, type RoutingQuiz } from './routing-quiz.js';
import { truncate } from '../util/text.js';

/**
 * /moe route, /moe compare, /moe model, /moe domains and /moe quiz: live routing demos against the
 * GPU endpoint (deploy/moe-endpoint, vLLM or SGLang). Each reply links to the lesson section that
 * explains what it shows.
 */

export const SETUP_TEXT =
  'Live routing demos need a GPU server running a real MoE model. Start one from deploy/moe-endpoint ' +
  '(its README shows the command line and a compose service), then set MOE_ENDPOINT_URL to its address ' +
  'and MOE_API_TOKEN to its token, and restart the bot. A vLLM or SGLang server started with ' +
  '--enable-return-routed-experts works too: set MOE_ENDPOINT_KIND to vllm or sglang.';

/** The lessons that explain what the demos show: which expert fired, and rephrasing. */
export const ROUTE_LESSON = { lesson: 'moe-tradeoffs', section: 'what-moe-models-cannot-do' };
export const COMPARE_LESSON = { lesson: 'moe-behave-differently', section: 'key-terms' };
export const DOMAINS_LESSON = { lesson: 'moe-routing', section: 'what-experts-specialise-in' };
const QUIZ_LESSON = { lesson: 'moe-routing', section: 'why-rephrasing-moves-experts' };

function lessonButton(services: Services, ref: { lesson: string; section: string }): Button | undefined {
  const lesson = services.lessons.get(ref.lesson);
  const index = lesson?.sections.findIndex((s) => s.slug === ref.section) ?? -1;
  if (!lesson || index < 0) return undefined;
  return { kind: 'button', label: `Read the lesson: ${lesson.sections[index]!.title}`.slice(0, 80), actionId: encodeAction('lesson', lesson.id, index) };
}

function withLesson(reply: Reply, button: Button | undefined): Reply {
  return button ? { ...reply, components: [[button]] } : reply;
}

function notConfigured(): Reply {
  return { title: 'Live MoE routing is not set up', text: md`${SETUP_TEXT}`, visibility: 'ephemeral' };
}

function bullets(lines: string[]): string {
  return lines.map((l) => md`• ${l}`).join('\n');
}

export async function routeReply(answer: Answer<RouteResponse>, button?: Button): Promise<Reply> {
  const r = answer.value;
  const summary = summarizeRoute(r, answer.cached ? undefined : answer.roundTripMs);
  const lines = routeSummaryLines(r, summary);
  const intro = md`Each row is a token, each column an MoE layer; the colour and number show the expert the router ranked first. Which expert fired is what decides the answer, and without a view like this it is hard to inspect.`;
  return withLesson(
    {
      title: 'Expert routing, token by token',
      text: intro + '\n\n' + bullets(lines) + (answer.cached ? md`\n_Cached: this exact prompt was routed a moment ago._` : ''),
      image: {
        filename: 'moe-routing.png',
        png: await renderHeatmap(r),
        alt: `Heatmap of the top-1 expert for ${r.tokens.length} tokens across ${r.routing.length} MoE layers of ${r.model}`,
      },
      visibility: 'ephemeral',
    },
    button,
  );
}

export async function compareReply(answer: Answer<CompareResponse>, button?: Button): Promise<Reply> {
  const c = answer.value;
  const summary = summarizeCompare(c);
  const lines = compareSummaryLines(c, summary, answer.cached ? undefined : answer.roundTripMs);
  return withLesson(
    {
      title: 'Same question, other words: how far did the routing move?',
      text: md`${flakinessSentence(summary)}` + '\n\n' + bullets(lines),
      image: {
        filename: 'moe-compare.png',
        png: await renderCompareChart(c),
        alt: `Bar chart of the per-layer expert overlap of two prompts on ${c.model}, mean ${c.mean_jaccard.toFixed(2)}`,
      },
      visibility: 'ephemeral',
    },
    button,
  );
}

async function domainsReply(answer: Answer<DomainReport>, button?: Button): Promise<Reply> {
  const r = answer.value;
  return withLesson(
    {
      title: 'Which experts each kind of text uses most',
      text:
        md`${specialisationSentence(r)}` +
        '\n\n' +
        bullets(domainLines(r)) +
        (answer.cached ? md`\n_Cached: this prompt set was routed on this model before; editing content/moe/domains.yaml routes it afresh._` : ''),
      image: {
        filename: 'moe-domains.png',
        png: await renderDomainsChart(r),
        alt: `Bar chart of the ${r.topN} experts each of ${r.domains.length} domains (${r.domains.map((d) => d.title).join(', ')}) uses most at MoE layers ${r.layers.map((l) => l.layer).join(', ')} of ${r.model}`,
      },
      visibility: 'ephemeral',
    },
    button,
  );
}

const QUIZ_TITLE = 'Practice — which prompt produced this routing? (no points)';
const quizHint = (actor: Actor) =>
  `Hint: in early layers a token\u2019s experts depend mostly on the token itself, so a repeated token repeats its row, and ${typedCommand('moe domains', actor.platform)} shows which experts each kind of text favours.`;
const LETTERS = ['A', 'B'] as const;

/** A prompt on one line, cut to `max` characters. */
const quote = (text: string, max: number) => truncate(text.replace(/\s+/g, ' ').trim(), max);

/** /moe quiz: two prompts of two domains routed (one rate-limit slot), the heatmap of one, tokens hidden. */
async function routingQuizReply(services: Services, moe: MoeService, actor: Actor): Promise<Reply> {
  const set = loadDomainPrompts(services.config.CONTENT_DIR);
  const { prompts, shown } = pickPair(set);
  const routed = await moe.routeAll(demoUser(actor), prompts.map((p) => p.text));
  const quiz = moe.quizzes.add({ owner: demoUser(actor), prompts, routes: [routed.value[0]!, routed.value[1]!], shown });
  const r = quiz.route;
  const text =
    md`Two prompts went through ${r.model}${r.random_weights ? ' (random weights)' : ''}. The heatmap shows the routing of one of them, its tokens hidden and cut to the first ${quiz.rows}, so its length gives nothing away.` +
    '\n' +
    prompts.map((p, i) => md`**${LETTERS[i]!}** (${p.domain}): “${quote(p.text, 300)}”`).join('\n') +
    md`\n\nWhich prompt produced this routing? _${quizHint(actor)}_`;
  return {
    title: QUIZ_TITLE,
    text,
    image: {
      filename: 'moe-quiz.png',
      png: await renderHeatmap(r, { rows: quiz.rows, hideTokens: true, title: 'Which prompt produced this routing?' }),
      alt: `Heatmap of the top-1 expert for ${quiz.rows} hidden tokens across ${r.routing.length} MoE layers: prompt A or prompt B?`,
    },
    components: [
      [
        ...prompts.map((p, i): Button => ({ kind: 'button', label: `${LETTERS[i]!}: ${quote(p.text, 70)}`, actionId: encodeAction('moe.quiz', quiz.id, i === 0 ? 'a' : 'b') })),
        { kind: 'button', label: "I don't know", actionId: encodeAction('moe.quiz', quiz.id, 'x') },
      ],
    ],
    visibility: 'ephemeral',
  };
}

/** The verdict and explanation, with the routing shown again with its tokens; a practice answer: no points, no schedule change. */
async function routingQuizAnswer(services: Services, quiz: RoutingQuiz, given: QuizChoice, first: boolean): Promise<Reply> {
  const right = quiz.shown === 0 ? 'a' : 'b';
  const letter = LETTERS[quiz.shown]!;
  const other = LETTERS[quiz.shown === 0 ? 1 : 0]!;
  const prompt = quiz.prompts[quiz.shown];
  const it = md`prompt **${letter}** (${prompt.domain}): “${quote(prompt.text, 300)}”`;
  const verdict =
    given === 'x' ? md`It was ` + it : given === right ? md`✅ Right: it was ` + it : md`❌ Not this time: it was ` + it + md`, not ${other}.`;
  const r = quiz.route;
  const buttons: Button[] = [{ kind: 'button', label: 'Another routing question', actionId: encodeAction('moe.quiz.next'), style: 'primary' }];
  const lesson = lessonButton(services, QUIZ_LESSON);
  if (lesson) buttons.push(lesson);
  return {
    title: QUIZ_TITLE,
    text:
      (first ? '' : md`_You answered this one already; answers after the first change nothing._\n`) +
      verdict +
      '\n\n' +
      md`${explanation(quiz)}` +
      md`\n\n_A practice question: no points, and your quiz schedule is unchanged._`,
    image: {
      filename: 'moe-quiz-answer.png',
      png: await renderHeatmap(r, { rows: quiz.rows, title: `Prompt ${letter}'s routing, with its tokens · ${r.model}` }),
      alt: `Heatmap of the top-1 expert for the first ${quiz.rows} tokens of prompt ${letter} across ${r.routing.length} MoE layers`,
    },
    components: [buttons],
    visibility: 'ephemeral',
    replaceOriginal: true,
  };
}

export function modelReply(m: MoeModelInfo): Reply {
  if (isServedModel(m)) return { title: 'The live MoE model', text: bullets(servedModelLines(m)), visibility: 'ephemeral' };
  const billions = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} B` : `${(n / 1e6).toFixed(0)} M`);
  const lines = [
    `Model: ${m.model}${m.random_weights ? ' (random weights)' : ''}`,
    `Family: ${m.family} (${m.model_type})`,
    `Layers: ${m.layers}, of which ${m.moe_layers.length} MoE${m.dense_layers.length ? ` and ${m.dense_layers.length} dense` : ''}`,
    `Experts: ${m.experts} per MoE layer, top-${m.top_k} per token${m.shared_experts ? `, plus ${m.shared_experts} shared expert${m.shared_experts > 1 ? 's' : ''} every token uses` : ''}`,
    `Routing: ${m.routing.description}`,
    `Parameters: ${billions(m.parameters.total)} in total, ${billions(m.parameters.active)} active per token`,
    `Running on: ${m.device}, ${m.dtype}`,
    `Limits: ${m.limits.max_prompt_chars} characters or ${m.limits.max_prompt_tokens} tokens per prompt`,
  ];
  return { title: 'The live MoE model', text: bullets(lines), visibility: 'ephemeral' };
}

/**
 * Runs a demo against the configured endpoint (one service per configuration: one rate limit,
 * breaker and cache for the commands and the lessons' Try it live buttons); the endpoint's
 * failures become a short ephemeral reply in plain words. `unconfigured` answers when no endpoint
 * is set.
 */
export async function runDemo(services: Services, run: (moe: MoeService) => Promise<Reply>, unconfigured: () => Reply = notConfigured): Promise<Reply> {
  const moe = moeServiceFor(services.config);
  if (!moe) return unconfigured();
  try {
    return await run(moe);
  } catch (err) {
    // Messages name settings such as MOE_API_TOKEN: escape them rather than pass them as markup.
    if (err instanceof MoeEndpointError) return { text: md`${err.message}`, visibility: 'ephemeral' };
    throw err;
  }
}

function demo(run: (moe: MoeService, ctx: CommandContext) => Promise<Reply>): CommandHandler {
  return (ctx) => runDemo(ctx.services, (moe) => run(moe, ctx));
}

/** Whose rate-limit slots a demo uses: the person who asked, on their platform. */
export const demoUser = (actor: { platform: string; userId: string }) => `${actor.platform}:${actor.userId}`;
const userKey = (ctx: CommandContext) => demoUser(ctx.interaction.actor);

export const moeCapability: Capability = {
  commands: {
    'moe route': demo(async (moe, ctx) =>
      routeReply(await moe.route(userKey(ctx), String(ctx.options.prompt)), lessonButton(ctx.services, ROUTE_LESSON)),
    ),
    'moe compare': demo(async (moe, ctx) =>
      compareReply(await moe.compare(userKey(ctx), String(ctx.options.a), String(ctx.options.b)), lessonButton(ctx.services, COMPARE_LESSON)),
    ),
    'moe model': demo(async (moe) => modelReply((await moe.model()).value)),
    'moe domains': demo(async (moe, ctx) =>
      domainsReply(await moe.domains(userKey(ctx), loadDomainPrompts(ctx.services.config.CONTENT_DIR)), lessonButton(ctx.services, DOMAINS_LESSON)),
    ),
    'moe quiz': demo((moe, ctx) => routingQuizReply(ctx.services, moe, ctx.interaction.actor)),
  },
  actions: {
    'moe.quiz': ({ services, args: [id, choice] }) => {
      const moe = moeServiceFor(services.config);
      const quiz = moe?.quizzes.get(id);
      if (!moe || !quiz) return { text: md`${ROUTING_QUIZ_GONE}`, visibility: 'ephemeral' };
      const { given, first } = moe.quizzes.answer(quiz, choice);
      return routingQuizAnswer(services, quiz, given, first);
    },
    'moe.quiz.next': ({ services, interaction }) => runDemo(services, (moe) => routingQuizReply(services, moe, interaction.actor)),
  },
};
