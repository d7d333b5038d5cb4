import { createEmptyCard, fsrs, generatorParameters, Rating, StrategyMode, type Card } from 'ts-fsrs';
import type { CardRow } from './store.js';

/**
 * Spaced repetition with FSRS-6 (ts-fsrs). Quizzes are pass/fail, so a right answer is Good and a
 * wrong one (or "I don't know") is Again. Short-term learning steps are off: learners meet the
 * bot once a day, so intervals are whole days. Fuzz spreads intervals of 3 days and more by a few
 * days, so cards learned together do not all fall due on the same day. Its seed is the card
 * (user and question), its repetition and the review time: the same answer always gets the same
 * interval, and cards answered in the same instant still spread.
 */
type SeededCard = Card & { seed: string };
const scheduler = fsrs(generatorParameters({ enable_fuzz: true, enable_short_term: false })).useStrategy(StrategyMode.SEED, function () {
  return `${(this.current as SeededCard).seed}:${this.current.reps}:${this.review_time.getTime()}`;
});

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

/** The card after grading an answer given at `now` (a new card when `row` is undefined). */
export function grade(row: CardRow | undefined, userId: number, questionId: string, correct: boolean, now: Date): { card: CardRow; rating: Rating } {
  const rating = correct ? Rating.Good : Rating.Again;
  const before: SeededCard = row ? toCard(row) : { ...createEmptyCard(now), seed: `${userId}:${questionId}` };
  const { card } = scheduler.next(before, now, rating);
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
