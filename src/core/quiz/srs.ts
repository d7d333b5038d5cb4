import { createEmptyCard, default_w, fsrs, generatorParameters, Rating, StrategyMode, type Card, type FSRS } from 'ts-fsrs';
import { LruMap } from '../util/lru-map.js';
import type { CardRow } from './store.js';

/**
 * Spaced repetition with FSRS-6 (ts-fsrs). Quizzes are pass/fail, so a right answer is Good and a
 * wrong one (or "I don't know") is Again. Short-term learning steps are off: learners meet the
 * bot once a day, so intervals are whole days. Fuzz spreads intervals of 3 days and more by a few
 * days, so cards learned together do not all fall due on the same day. Its seed is the card
 * (user and question), its repetition and the review time: the same answer always gets the same
 * interval, and cards answered in the same instant still spread.
 *
 * Each learner may have their own parameters (fitted to their reviews, or to their server's) and
 * their own desired retention: see src/core/srs/.
 */
type SeededCard = Card & { seed: string };

/** FSRS-6 has 21 parameters: ts-fsrs's defaults and fsrs-rs's both. */
export const FSRS6_PARAMETER_COUNT = 21;
export const DEFAULT_PARAMETERS: readonly number[] = default_w;
export const DEFAULT_RETENTION = 0.9;

/** What a learner's cards are scheduled with; left out: FSRS-6's defaults at 90% retention. */
export interface Scheduling {
  parameters?: readonly number[];
  retention?: number;
}

function makeScheduler(w: readonly number[], retention: number): FSRS {
  return fsrs(generatorParameters({ w: [...w], request_retention: retention, enable_fuzz: true, enable_short_term: false })).useStrategy(StrategyMode.SEED, function () {
    return `${(this.current as SeededCard).seed}:${this.current.reps}:${this.review_time.getTime()}`;
  });
}

const defaultScheduler = makeScheduler(DEFAULT_PARAMETERS, DEFAULT_RETENTION);
/** A scheduler per parameter set and retention in use: learners who share them share one. */
const schedulers = new LruMap<string, FSRS>(2_000);

function schedulerFor(scheduling: Scheduling | undefined): FSRS {
  const w = scheduling?.parameters ?? DEFAULT_PARAMETERS;
  const retention = scheduling?.retention ?? DEFAULT_RETENTION;
  if (w === DEFAULT_PARAMETERS && retention === DEFAULT_RETENTION) return defaultScheduler;
  if (w.length !== FSRS6_PARAMETER_COUNT) throw new Error(`FSRS-6 takes ${FSRS6_PARAMETER_COUNT} parameters, not ${w.length}`);
  const key = `${retention}|${w.join(',')}`;
  let s = schedulers.get(key);
  if (!s) {
    s = makeScheduler(w, retention);
    schedulers.set(key, s);
  }
  return s;
}

export { Rating };

function toCard(row: CardRow): SeededCard {
  return {
    seed: `${row.userId}:${row.questionId}`,
    due: new Date(row.due),
    stability: row.stability,
    difficulty: row.difficulty,
    elapsed_days: row.elapsedDays,
    scheduled_days: row.scheduledDays,
    learning_steps: row.learningSteps,
    reps: row.reps,
    lapses: row.lapses,
    state: row.state,
    last_review: row.lastReview === null ? undefined : new Date(row.lastReview),
  };
}

/**
 * The card after grading an answer given at `now` (a new card when `row` is undefined), scheduled
 * with the learner's parameters and desired retention.
 */
export function grade(row: CardRow | undefined, userId: number, questionId: string, correct: boolean, now: Date, scheduling?: Scheduling): { card: CardRow; rating: Rating } {
  const rating = correct ? Rating.Good : Rating.Again;
  const before: SeededCard = row ? toCard(row) : { ...createEmptyCard(now), seed: `${userId}:${questionId}` };
  const { card } = schedulerFor(scheduling).next(before, now, rating);
  return {
    rating,
    card: {
      userId,
      questionId,
      due: card.due.getTime(),
      stability: card.stability,
      difficulty: card.difficulty,
      elapsedDays: card.elapsed_days,
      scheduledDays: card.scheduled_days,
      learningSteps: card.learning_steps,
      reps: card.reps,
      lapses: card.lapses,
      state: card.state,
      lastReview: card.last_review ? card.last_review.getTime() : now.getTime(),
    },
  };
}
