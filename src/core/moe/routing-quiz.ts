import { randomBytes } from 'node:crypto';
import type { DomainSet } from './domain-prompts.js';
import { MAX_ROWS } from './heatmap.js';
import { compareRoutes } from './kinds/routing.js';
import { LruCache } from './lru.js';
import type { RouteResponse } from './protocol.js';
import { percent } from '../util/text.js';

/**
 * /moe quiz: a practice question made from live routing. Two prompts of different domains are
 * routed; the heatmap of one of them is shown with its tokens hidden (and only as many rows as the
 * shorter prompt has, so the length gives nothing away), and the learner picks which prompt made
 * it. The answer is explained from the comparison of the two routings. Like a practice question it
 * scores nothing and leaves the learner's spaced-repetition schedule alone; the open questions
 * live in memory for an hour.
 */

export type QuizChoice = 'a' | 'b' | 'x';

export interface QuizPrompt {
  domain: string;
  text: string;
}

export interface RoutingQuiz {
  id: string;
  /** `<platform>:<user id>` of the learner it was made for. */
  owner: string;
  prompts: [QuizPrompt, QuizPrompt];
  /** Which prompt's routing the heatmap shows. */
  shown: 0 | 1;
  /** Heatmap rows shown: the shorter prompt's token count (at most MAX_ROWS). */
  rows: number;
  /** The shown prompt's routing, without gate weights (what the answer draws again). */
  route: RouteResponse;
  /** The two routings compared when the question was made (what the answer explains). */
  comparison: QuizComparison;
  /** The first answer given; later presses get it back. */
  answered?: QuizChoice;
}

const QUIZ_TTL_MS = 60 * 60_000;
/** Open questions kept: each holds one routing, so a few hundred stay a few megabytes. */
const MAX_OPEN_QUIZZES = 200;
export const QUIZ_ID = /^[A-Za-z0-9_-]{8,16}$/;
export const ROUTING_QUIZ_GONE = 'This routing question has expired (they last an hour). The moe quiz command asks another.';

export class RoutingQuizzes {
  private readonly open: LruCache<RoutingQuiz>;
  constructor(now: () => number = Date.now) {
    this.open = new LruCache(MAX_OPEN_QUIZZES, QUIZ_TTL_MS, now);
  }

  /** A new question for `owner`: the two prompts' routings, and which of them is shown. */
  add(question: { owner: string; prompts: [QuizPrompt, QuizPrompt]; routes: readonly [RouteResponse, RouteResponse]; shown: 0 | 1 }): RoutingQuiz {
    const rows = shownRows(question.routes);
    const shown = question.routes[question.shown];
    const made: RoutingQuiz = {
      id: randomBytes(6).toString('base64url'),
      owner: question.owner,
      prompts: question.prompts,
      shown: question.shown,
      rows,
      route: { ...shown, routing: shown.routing.map((l) => ({ ...l, weights: [] })) },
      comparison: compareRoutings(question.routes, question.shown, rows),
    };
    this.open.set(made.id, made);
    return made;
  }

  get(id: string): RoutingQuiz | undefined {
    return this.open.get(id);
  }

  /** Records the first answer and returns it; a second press changes nothing. */
  answer(quiz: RoutingQuiz, choice: QuizChoice): { given: QuizChoice; first: boolean } {
    if (quiz.answered) return { given: quiz.answered, first: false };
    quiz.answered = choice;
    return { given: choice, first: true };
  }
}

/** Two prompts of two different domains, and which of them to show: `random` in [0, 1). */
export function pickPair(set: DomainSet, random: () => number = Math.random): { prompts: [QuizPrompt, QuizPrompt]; shown: 0 | 1 } {
  const pick = <T>(list: readonly T[]): T => list[Math.min(list.length - 1, Math.floor(random() * list.length))]!;
  const first = pick(set.domains);
  const second = pick(set.domains.filter((d) => d !== first));
  const a = pick(first.prompts);
  const others = second.prompts.filter((p) => p !== a);
  const b = pick(others.length ? others : second.prompts);
  return { prompts: [{ domain: first.title, text: a }, { domain: second.title, text: b }], shown: random() < 0.5 ? 0 : 1 };
}

function shownRows(routes: readonly [RouteResponse, RouteResponse]): number {
  return Math.min(routes[0].tokens.length, routes[1].tokens.length, MAX_ROWS);
}

export interface QuizComparison {
  layers: number;
  /** Over the rows shown: token positions × MoE layers whose top-1 expert differs between the prompts. */
  top1Differs: number;
  cells: number;
  /** The shown prompt's expert choices (every token, layer and top-k slot) that went to an expert the other prompt never chose in that layer. */
  ownChoices: number;
  choices: number;
  /** The expert sets' overlap (Jaccard), averaged over the MoE layers both have. */
  meanJaccard: number;
}

/** How the shown routing differs from the other prompt's, over the first `rows` tokens: what tells the two apart. */
function compareRoutings(routes: readonly [RouteResponse, RouteResponse], shownIndex: 0 | 1, rows: number): QuizComparison {
  const shown = routes[shownIndex];
  const other = routes[shownIndex === 0 ? 1 : 0];
  const otherLayers = new Map(other.routing.map((l) => [l.layer, l]));
  let top1Differs = 0;
  let cells = 0;
  let ownChoices = 0;
  let choices = 0;
  let layers = 0;
  for (const l of shown.routing) {
    const o = otherLayers.get(l.layer);
    if (!o) continue;
    layers++;
    for (let row = 0; row < rows; row++) {
      cells++;
      if (l.experts[row]?.[0] !== o.experts[row]?.[0]) top1Differs++;
    }
    const otherSet = new Set(o.experts.flat());
    for (const e of l.experts.flat()) {
      choices++;
      if (!otherSet.has(e)) ownChoices++;
    }
  }
  // The same per-layer Jaccard mean as /moe compare's.
  return { layers, top1Differs, cells, ownChoices, choices, meanJaccard: layers ? compareRoutes(shown, other).mean_jaccard : 1 };
}

/** The explanation after an answer: which prompt it was, and how its routing differs from the other's. */
export function explanation(quiz: Pick<RoutingQuiz, 'comparison' | 'shown' | 'rows'>): string {
  const c = quiz.comparison;
  const letter = quiz.shown === 0 ? 'A' : 'B';
  const otherLetter = quiz.shown === 0 ? 'B' : 'A';
  const lines = [
    `Position by position over the ${quiz.rows} tokens shown, the top-1 expert differs between A and B in ${c.top1Differs} of ${c.cells} cells (${percent(c.cells ? c.top1Differs / c.cells : 0)}) across ${c.layers} MoE layer${c.layers === 1 ? '' : 's'}.`,
    `${c.ownChoices} of ${letter}'s ${c.choices} expert choices (${percent(c.choices ? c.ownChoices / c.choices : 0)}) went to experts ${otherLetter} never used in that layer; the two prompts' expert sets overlap by ${c.meanJaccard.toFixed(2)} on average (Jaccard, 1 = the same experts).`,
  ];
  if (c.cells && c.top1Differs / c.cells < 0.2) {
    lines.push('The two routings are close: a question this hard is mostly a guess, which is itself the lesson (different text can meet the same experts).');
  } else {
    lines.push('Those cells are what tell the prompts apart: which expert fired depends on the text, token by token.');
  }
  return lines.join(' ');
}
