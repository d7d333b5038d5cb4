import { choicesOf, correctAnswers, type Question, type QuestionType } from '../content/schema.js';
import type { Tenant } from '../tenant.js';
import type { QuizStore } from './store.js';

/**
 * Item analysis of the questions, as teachers know it from Moodle's quiz statistics: per question
 * how many learners answered it, the share who got it right (facility), how well being right here
 * goes with doing well on the other questions (discrimination), which wrong choices were picked,
 * and flags for questions worth a look.
 *
 * Which answers count: each learner's FIRST SCORED ANSWER to each question —
 * - in a personal quiz of mode daily, lesson or bank, an answer whose review row says the card was
 *   due or new (reviews.was_due = 1, matched by user, question and answer time); practice rounds
 *   (lesson-practice, bank-practice), "today's misses" (review) and answers to cards that were not
 *   due score nothing and are left out;
 * - a click in a race that scored (two players or more); a solo race scores nothing and is left out.
 * Of those, the earliest per learner and question is the one analysed: later reviews of a card
 * measure memory of the question, not the question. "Attempts" is therefore a count of learners.
 *
 * Discrimination is the point-biserial correlation (Pearson's r with a 0/1 variable) between being
 * right on the question and the learner's share right on the OTHER questions (their first scored
 * answers, this one left out so it does not correlate with itself). Only learners who answered at
 * least one other question take part. It needs both right and wrong answers and some spread of
 * scores; otherwise it is not defined (null). It was chosen over the top-27 % minus bottom-27 %
 * rule because with the small groups of a chat server 27 % is one or two learners, and that rule
 * throws away everyone in the middle.
 *
 * Scope: with a tenant, only questions that tenant sees (global ones and its own imports, not
 * retired) and only answers given in that tenant; with none, every question and every answer.
 */

export const QUESTION_FLAGS = {
  /** Fewer learners than this: no flag (too little to go on). */
  minAttempts: 5,
  /** Facility at or above: too easy. */
  tooEasy: 0.9,
  /** Facility at or below: too hard. */
  tooHard: 0.35,
} as const;

export type QuestionFlag = 'dubious' | 'too hard' | 'too easy';
/** Flags in order of concern: a dubious question is checked first. */
export const FLAG_ORDER: readonly QuestionFlag[] = ['dubious', 'too hard', 'too easy'];

export const STATS_SORTS = ['attempts', 'flag', 'facility', 'discrimination', 'question'] as const;
export type StatsSort = (typeof STATS_SORTS)[number];

/** How each sort orders the questions, for the footer of a page. */
export const SORT_LABELS: Record<StatsSort, string> = {
  attempts: 'most answered first',
  flag: 'flagged first (dubious, too hard, too easy), then most answered',
  facility: 'hardest first (lowest share right)',
  discrimination: 'lowest discrimination first',
  question: 'by question id',
};

/** "I don't know", as a learner's answer is recorded. */
export const UNKNOWN_ANSWER = "I don't know";

export interface ChoiceFigures {
  choice: string;
  right: boolean;
  /** Learners whose analysed answer picked this choice. */
  picked: number;
}

export interface QuestionFigures {
  /** The stored id. */
  id: string;
  /** The id admins know: the bank's own id, with the bank when that id is not unique. */
  shownId: string;
  bankId: string;
  type: QuestionType;
  prompt: string;
  /** Learners whose first scored answer is analysed. */
  attempts: number;
  right: number;
  /** Share right, 0..1. */
  facility: number;
  /** Point-biserial r against the rest score, -1..1; null when not defined. */
  discrimination: number | null;
  /** Learners who took part in the discrimination (those with another question answered). */
  discriminationLearners: number;
  /** For choice questions (single, multiple, true/false): every choice and how often it was picked. */
  choices: ChoiceFigures[] | null;
  /** Answers "I don't know". */
  unknown: number;
  /** Answers to a choice question that name no current choice (given before an edit). */
  otherAnswers: number;
  /** From race clicks (the rest come from personal quizzes). */
  fromRaces: number;
  flags: QuestionFlag[];
  /** Why the question is dubious, in words. */
  dubiousBecause: string[];
}

export interface QuestionAnalysis {
  tenant: Tenant | null;
  /** Answered questions, in no particular order (see sortQuestions). */
  questions: QuestionFigures[];
  /** Learners with at least one analysed answer. */
  learners: number;
}

interface QuestionRow {
  id: string;
  shownId: string;
  bankId: string;
  type: QuestionType;
  body: string;
}

interface AttemptRow {
  userId: number;
  questionId: string;
  correct: number;
  /** The answer text (quizzes) or null (races). */
  answer: string | null;
  /** The stored choice index a race click meant; null for quizzes. */
  choiceIndex: number | null;
  at: number;
  race: number;
}

const SHOWN_ID = "CASE WHEN q.local_id IS NOT NULL AND q.local_id != q.id THEN q.local_id || ' in ' || q.bank_id ELSE q.id END";

/** The questions in scope: visible to the tenant (or all), not retired. */
function scopeQuestions(store: QuizStore, tenant: Tenant | null): Map<string, QuestionRow> {
  const rows = store
    .q<[Tenant | null, Tenant | null], QuestionRow>(
      `SELECT q.id, ${SHOWN_ID} shownId, q.bank_id bankId, q.type, q.body FROM questions q
       WHERE q.retired_at IS NULL AND (? IS NULL OR q.tenant IS NULL OR q.tenant = ?)`,
    )
    .all(tenant, tenant);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The first scored answer of each learner to each question in scope, quizzes and races together
 * (the earlier wins; at the same millisecond the quiz answer). One query, so only the first
 * answers leave the database.
 */
function firstScoredAnswers(store: QuizStore, tenant: Tenant | null): AttemptRow[] {
  return store
    .q<[{ tenant: Tenant | null }], AttemptRow>(
      `WITH scored_races AS (
         SELECT race_id FROM race_answers GROUP BY race_id HAVING count(DISTINCT user_id) >= 2
       ),
       answers AS (
         SELECT s.user_id userId, a.question_id questionId, a.correct, a.answer, NULL choiceIndex, a.answered_at at, 0 race
         FROM session_answers a JOIN quiz_sessions s ON s.id = a.session_id JOIN users u ON u.id = s.user_id
         WHERE s.mode IN ('daily', 'lesson', 'bank')
           AND (@tenant IS NULL OR u.platform || ':' || s.server_id = @tenant)
           AND EXISTS (SELECT 1 FROM reviews r WHERE r.user_id = s.user_id AND r.answered_at = a.answered_at AND r.question_id = a.question_id AND r.was_due = 1)
         UNION ALL
         SELECT a.user_id, json_extract(r.question_ids, '$[' || a.round || ']'), a.correct, NULL,
                json_extract(r.orders, '$[' || a.round || '][' || a.choice || ']'), a.answered_at, 1
         FROM race_answers a JOIN races r ON r.id = a.race_id JOIN scored_races sr ON sr.race_id = a.race_id
         WHERE (@tenant IS NULL OR r.platform || ':' || r.server_id = @tenant)
       ),
       ranked AS (
         SELECT answers.*, row_number() OVER (PARTITION BY userId, questionId ORDER BY at, race) n FROM answers
       )
       SELECT userId, questionId, correct, answer, choiceIndex, at, race FROM ranked WHERE n = 1`,
    )
    .all({ tenant });
}

/** Pearson's r of two equally long series; null when either has no spread. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx < 1e-12 || syy < 1e-12) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Whether an answer recorded as text picked this choice ("a; b" for several). */
function picks(answer: string, choice: string, type: QuestionType): boolean {
  if (type !== 'multiple') return answer === choice;
  return `; ${answer}; `.includes(`; ${choice}; `);
}

/** The analysis of every answered question in scope. */
export function analyseQuestions(store: QuizStore, tenant: Tenant | null): QuestionAnalysis {
  const questions = scopeQuestions(store, tenant);
  // The first scored answer of each learner to each question, by question and learner.
  const first = new Map<string, Map<number, AttemptRow>>();
  for (const a of firstScoredAnswers(store, tenant)) {
    if (!questions.has(a.questionId)) continue;
    let byUser = first.get(a.questionId);
    if (!byUser) first.set(a.questionId, (byUser = new Map()));
    byUser.set(a.userId, a);
  }
  // Each learner's right and analysed answers over all questions, for the rest scores.
  const totals = new Map<number, { right: number; answered: number }>();
  for (const byUser of first.values()) {
    for (const a of byUser.values()) {
      const t = totals.get(a.userId) ?? { right: 0, answered: 0 };
      t.answered++;
      t.right += a.correct ? 1 : 0;
      totals.set(a.userId, t);
    }
  }
  const figures: QuestionFigures[] = [];
  for (const [questionId, byUser] of first) {
    const row = questions.get(questionId)!;
    let q: Question | undefined;
    try {
      q = JSON.parse(row.body) as Question;
    } catch {
      q = undefined;
    }
    const answers = [...byUser.values()];
    const right = answers.filter((a) => a.correct).length;
    // Rest score: share right on the other questions.
    const xs: number[] = [];
    const ys: number[] = [];
    for (const a of answers) {
      const t = totals.get(a.userId)!;
      const others = t.answered - 1;
      if (others < 1) continue;
      xs.push(a.correct ? 1 : 0);
      ys.push((t.right - (a.correct ? 1 : 0)) / others);
    }
    const discrimination = pearson(xs, ys);
    const choiceTexts = q ? choicesOf(q) : [];
    const rightTexts = new Set(q && choiceTexts.length ? correctAnswers(q) : []);
    let unknown = 0;
    let otherAnswers = 0;
    const picked = new Map<string, number>(choiceTexts.map((c) => [c, 0]));
    for (const a of answers) {
      if (a.answer === UNKNOWN_ANSWER && !a.correct) {
        unknown++;
        continue;
      }
      if (!choiceTexts.length) continue;
      if (a.race) {
        const c = a.choiceIndex === null ? undefined : choiceTexts[a.choiceIndex];
        if (c === undefined) otherAnswers++;
        else picked.set(c, picked.get(c)! + 1);
        continue;
      }
      const hit = choiceTexts.filter((c) => picks(a.answer ?? '', c, row.type));
      if (hit.length === 0) otherAnswers++;
      for (const c of hit) picked.set(c, picked.get(c)! + 1);
    }
    const choices = choiceTexts.length ? choiceTexts.map((c) => ({ choice: c, right: rightTexts.has(c), picked: picked.get(c)! })) : null;
    const attempts = answers.length;
    const facility = right / attempts;
    const flags: QuestionFlag[] = [];
    const dubiousBecause: string[] = [];
    if (attempts >= QUESTION_FLAGS.minAttempts) {
      if (discrimination !== null && discrimination < 0) dubiousBecause.push('negative discrimination');
      if (choices) {
        // Single and true/false: a wrong choice beats the right answer; several answers: it beats the least picked right choice.
        const rightPicks = row.type === 'multiple' ? Math.min(...choices.filter((c) => c.right).map((c) => c.picked)) : right;
        for (const c of choices) if (!c.right && c.picked > rightPicks) dubiousBecause.push(`wrong choice "${c.choice}" picked more than the right one`);
      }
      if (dubiousBecause.length) flags.push('dubious');
      if (facility <= QUESTION_FLAGS.tooHard) flags.push('too hard');
      if (facility >= QUESTION_FLAGS.tooEasy) flags.push('too easy');
    }
    figures.push({
      id: questionId,
      shownId: row.shownId,
      bankId: row.bankId,
      type: row.type,
      prompt: q?.prompt ?? '',
      attempts,
      right,
      facility,
      discrimination,
      discriminationLearners: xs.length,
      choices,
      unknown,
      otherAnswers,
      fromRaces: answers.filter((a) => a.race).length,
      flags,
      dubiousBecause,
    });
  }
  return { tenant, questions: figures, learners: totals.size };
}

/**
 * A question's flags in words, a dubious one saying why: `short` for the chart's narrow label
 * ("dubious (r < 0)"), else for chat ("dubious: discrimination below 0").
 */
export function flagWords(f: QuestionFigures, short = false): string[] {
  return f.flags.map((flag) => {
    if (flag !== 'dubious') return flag;
    const negative = f.dubiousBecause.some((b) => b.startsWith('negative'));
    const decoy = f.dubiousBecause.some((b) => b.startsWith('wrong choice'));
    const why = short
      ? [negative ? 'r < 0' : '', decoy ? 'a wrong pick leads' : '']
      : [negative ? 'discrimination below 0' : '', decoy ? 'a wrong choice beats the right one' : ''];
    return short ? `dubious (${why.filter(Boolean).join(', ')})` : `dubious: ${why.filter(Boolean).join(' and ')}`;
  });
}

const flagRank = (f: QuestionFigures) => (f.flags.length ? FLAG_ORDER.indexOf(f.flags[0]!) : FLAG_ORDER.length);

/** The questions in the order a sort names; ties go to the most answered, then the id. */
export function sortQuestions(list: readonly QuestionFigures[], sort: StatsSort): QuestionFigures[] {
  const tie = (a: QuestionFigures, b: QuestionFigures) => b.attempts - a.attempts || (a.shownId < b.shownId ? -1 : a.shownId > b.shownId ? 1 : 0);
  const by: Record<StatsSort, (a: QuestionFigures, b: QuestionFigures) => number> = {
    attempts: tie,
    flag: (a, b) => flagRank(a) - flagRank(b) || tie(a, b),
    facility: (a, b) => a.facility - b.facility || tie(a, b),
    // Not defined sorts last.
    discrimination: (a, b) => (a.discrimination ?? 2) - (b.discrimination ?? 2) || tie(a, b),
    question: (a, b) => (a.shownId < b.shownId ? -1 : a.shownId > b.shownId ? 1 : 0),
  };
  return [...list].sort(by[sort]);
}

/** The rules behind the figures, in words: for the JSON output and the docs. */
export const ANALYSIS_RULES = {
  counted:
    "Each learner's first scored answer to each question: personal quizzes of mode daily, lesson or bank where the card was due or new, and clicks in races of two players or more. Practice rounds, today's-misses reviews, answers to cards that were not due and solo races are left out.",
  discrimination:
    "Discrimination is the point-biserial correlation between being right on the question and the learner's share right on the other questions (learners with at least one other question); not defined without both right and wrong answers or without a spread of scores.",
  thresholds: QUESTION_FLAGS,
} as const;

/** One question as a flat record, for JSON and CSV. */
export function questionRecord(f: QuestionFigures) {
  return {
    id: f.shownId,
    bank: f.bankId,
    type: f.type,
    prompt: f.prompt,
    attempts: f.attempts,
    right: f.right,
    facility: Math.round(f.facility * 10000) / 10000,
    discrimination: f.discrimination === null ? null : Math.round(f.discrimination * 10000) / 10000,
    discriminationLearners: f.discriminationLearners,
    fromRaces: f.fromRaces,
    unknown: f.unknown,
    flags: f.flags,
    dubiousBecause: f.dubiousBecause,
    choices: f.choices,
    wrongPicks: (f.choices ?? []).filter((c) => !c.right && c.picked > 0).sort((a, b) => b.picked - a.picked).map(({ choice, picked }) => ({ choice, picked })),
  };
}

/** The columns of the CSV, in order. */
export const CSV_COLUMNS = ['id', 'bank', 'type', 'prompt', 'attempts', 'right', 'facility', 'discrimination', 'discriminationLearners', 'fromRaces', 'unknown', 'flags', 'wrongPicks'] as const;
