import type { Actor, Place } from '../interaction.js';
import type { Services } from '../services.js';
import { desiredRetention } from '../srs/parameters.js';
import { tenantOf, type Tenant } from '../tenant.js';
import { daysBefore, learnerDayAfter, localWeekday, previousDay } from '../util/time.js';
import { nextReview } from './personal.js';
import { currentStreak, learnerToday } from './scoring.js';
import { PROMPT, quizStore, VISIBLE, type QuizStore } from './store.js';

/**
 * The figures of /stats, computed once for both its text and its card (stats-card.ts draws them).
 * Every day here is a learner day: in the learner's time zone, starting at DAY_STARTS_AT_HOUR.
 */

/** Days of the due forecast, today first. */
export const FORECAST_DAYS = 30;
/** Weeks of the activity calendar, this week last. */
export const CALENDAR_WEEKS = 26;
/** Days of answers true retention looks back over. */
export const RETENTION_DAYS = 30;
/**
 * A question counts as mastered once its memory stability reaches three weeks: FSRS expects the
 * learner to still recall it with 90% chance 21 days after the last review.
 */
export const MASTERED_STABILITY_DAYS = 21;
/** Lessons the card shows bars for (the text lists them all). */
const CARD_LESSONS = 5;

export interface DueDay {
  /** The learner day, YYYY-MM-DD. */
  day: string;
  /** Its first instant (epoch ms). */
  start: number;
  /** Cards due that day; today's also holds every overdue card. */
  due: number;
}

export interface CalendarDay {
  day: string;
  /** Answers given in quizzes that day. */
  answers: number;
}

export interface LessonMastery {
  lessonId: string | null;
  title: string;
  /** Questions of the lesson this learner may be asked (one per prompt). */
  questions: number;
  /** Of those, the ones the learner has met. */
  seen: number;
  /** Of those, the ones with stability of MASTERED_STABILITY_DAYS or more. */
  mastered: number;
}

export interface LessonAccuracy {
  title: string;
  answers: number;
  right: number;
}

export interface StatsFigures {
  name: string;
  timeZone: string;
  cards: { total: number; dueToday: number };
  /** FORECAST_DAYS learner days, today first. */
  forecast: DueDay[];
  /** Cards due over the whole forecast. */
  dueInForecast: number;
  /** The forecast's busiest day (the first of equals): an index into `forecast`. */
  busiestDay: number;
  /** Every day from the Monday CALENDAR_WEEKS − 1 weeks before this week's to today, in order: the first is a Monday. */
  calendar: CalendarDay[];
  activeDays: number;
  streak: { current: number; best: number };
  /** Answers to cards that were due (new cards aside) over the last RETENTION_DAYS days. */
  retention: { reviews: number; right: number; rate: number | null; desired: number };
  /** Lessons the learner has met, in course order. */
  mastery: LessonMastery[];
  /** Share right per lesson over every answer, most answered first (the text's list). */
  accuracy: LessonAccuracy[];
  points: number;
  nextReview?: string;
}

function lessonTitle(services: Services, lessonId: string | null): string {
  return services.lessons.get(lessonId ?? '')?.title ?? lessonId ?? 'Imported questions';
}

/** Counts of due cards for each of the next FORECAST_DAYS learner days. */
function dueForecast(store: QuizStore, userId: number, tenant: Tenant, now: Date, timeZone: string): { forecast: DueDay[]; total: number } {
  const days = [learnerToday(store, now, timeZone)];
  while (days.length < FORECAST_DAYS) days.push(learnerDayAfter(days.at(-1)!, timeZone, store.services.config.DAY_STARTS_AT_HOUR));
  const rows = store
    .q<[number, Tenant], { due: number }>(
      `SELECT c.due FROM cards c JOIN questions q ON q.id = c.question_id WHERE c.user_id = ? AND q.retired_at IS NULL AND ${VISIBLE} ORDER BY c.due`,
    )
    .all(userId, tenant);
  const forecast = days.map((d) => ({ day: d.key, start: d.start, due: 0 }));
  let i = 0;
  for (const { due } of rows) {
    while (i < days.length && due >= days[i]!.end) i++;
    if (i === days.length) break;
    forecast[i]!.due++;
  }
  return { forecast, total: rows.length };
}

/** Answers per learner day from the Monday CALENDAR_WEEKS − 1 weeks back to today. */
function activityCalendar(store: QuizStore, userId: number, now: Date, timeZone: string): CalendarDay[] {
  const today = learnerToday(store, now, timeZone);
  // The learner day begins on its own date, so its first instant tells the weekday of its key.
  const weekday = localWeekday(new Date(today.start), timeZone);
  const keys = [today.key];
  for (let n = (CALENDAR_WEEKS - 1) * 7 + weekday - 1; n > 0; n--) keys.push(previousDay(keys.at(-1)!));
  keys.reverse();
  const counts = new Map(
    store
      .q<[number, number, string], { day: string; n: number }>('SELECT local_day day, count(*) n FROM reviews WHERE user_id = ? AND answered_at >= ? AND local_day >= ? GROUP BY local_day')
      // A day's answers all lie after this bound: a week more than the calendar covers.
      .all(userId, daysBefore(now, timeZone, (CALENDAR_WEEKS + 1) * 7), keys[0]!)
      .map((r) => [r.day, r.n]),
  );
  return keys.map((day) => ({ day, answers: counts.get(day) ?? 0 }));
}

function lessonMastery(store: QuizStore, services: Services, userId: number, tenant: Tenant): LessonMastery[] {
  const rows = store
    .q<[number, number, Tenant], { lessonId: string | null; questions: number; seen: number; mastered: number }>(
      `SELECT g.lesson lessonId, count(*) questions, sum(g.seen) seen, sum(g.mastered) mastered
       FROM (SELECT q.lesson_id lesson, max(c.question_id IS NOT NULL) seen, coalesce(max(c.stability >= ?), 0) mastered
             FROM questions q LEFT JOIN cards c ON c.user_id = ? AND c.question_id = q.id
             WHERE q.retired_at IS NULL AND ${VISIBLE}
             GROUP BY q.lesson_id, ${PROMPT}) g
       LEFT JOIN lessons l ON l.id = g.lesson
       GROUP BY g.lesson HAVING sum(g.seen) > 0
       ORDER BY coalesce(l.position, 1e9), g.lesson`,
    )
    .all(MASTERED_STABILITY_DAYS, userId, tenant);
  return rows.map((r) => ({ lessonId: r.lessonId, title: lessonTitle(services, r.lessonId), questions: r.questions, seen: r.seen, mastered: r.mastered }));
}

/** Everything /stats shows, for the actor in the tenant of `place`, at `now`. */
export function statsFigures(services: Services, actor: Actor, place: Place, now: Date): StatsFigures {
  const store = quizStore(services);
  const tenant = tenantOf(actor.platform, place);
  const user = store.user(actor, tenant);
  const tz = store.timezoneOf(user);
  const { forecast, total } = dueForecast(store, user.id, tenant, now, tz);
  const calendar = activityCalendar(store, user.id, now, tz);
  const retention = store
    .q<[number, number], { n: number; hits: number }>('SELECT count(*) n, coalesce(sum(correct), 0) hits FROM reviews WHERE user_id = ? AND answered_at >= ? AND was_due = 1 AND was_new = 0')
    .get(user.id, daysBefore(now, tz, RETENTION_DAYS))!;
  const accuracy = store
    .q<[number, Tenant], { lesson: string | null; n: number; hits: number }>(
      `SELECT q.lesson_id lesson, count(*) n, sum(r.correct) hits FROM reviews r JOIN questions q ON q.id = r.question_id WHERE r.user_id = ? AND ${VISIBLE} GROUP BY q.lesson_id ORDER BY n DESC`,
    )
    .all(user.id, tenant);
  const points = store.q<[string, number], { points: number }>("SELECT points FROM scores WHERE scope = ? AND period = 'all' AND user_id = ?").get(tenant, user.id)?.points ?? 0;
  return {
    name: actor.displayName,
    timeZone: tz,
    cards: { total, dueToday: forecast[0]!.due },
    forecast,
    dueInForecast: forecast.reduce((n, d) => n + d.due, 0),
    busiestDay: forecast.reduce((best, d, i) => (d.due > forecast[best]!.due ? i : best), 0),
    calendar,
    activeDays: calendar.filter((d) => d.answers > 0).length,
    streak: currentStreak(store, user.id, now, tz),
    retention: { reviews: retention.n, right: retention.hits, rate: retention.n ? retention.hits / retention.n : null, desired: desiredRetention(store, user.id) },
    mastery: lessonMastery(store, services, user.id, tenant),
    accuracy: accuracy.map((l) => ({ title: lessonTitle(services, l.lesson), answers: l.n, right: l.hits })),
    points,
    nextReview: nextReview(store, user, tenant, now),
  };
}

/**
 * The lessons the card has room for: the CARD_LESSONS the learner has met most questions of (the
 * earlier lesson on a tie), in course order.
 */
export function lessonsForCard(mastery: readonly LessonMastery[]): LessonMastery[] {
  const picked = new Set([...mastery].map((l, i) => ({ l, i })).sort((a, b) => b.l.seen - a.l.seen || a.i - b.i).slice(0, CARD_LESSONS).map((x) => x.l));
  return mastery.filter((l) => picked.has(l));
}
