import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { daysBefore } from '../util/time.js';
import { typedTimeZone } from '../util/zone-abbreviations.js';
import { nextReview } from './personal.js';
import { currentStreak, learnerToday } from './scoring.js';
import { quizStore, type QuizStore } from './store.js';
import { DEFAULT_RETENTION } from './srs.js';
import { MAX_RETENTION, MIN_RETENTION } from '../srs/parameters.js';
import { tenantOf, type Tenant } from '../tenant.js';

/** A desired retention as typed (0.85, 85 or 85%), or null for `default`; throws when out of range. */
export function parseRetention(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === 'default') return null;
  const m = /^(?:0?(\.\d{1,4})|(\d{2}(?:\.\d{1,2})?)\s*%?)$/.exec(value);
  const r = m ? (m[1] !== undefined ? Number(m[1]) : Number(m[2]) / 100) : NaN;
  if (!(r >= MIN_RETENTION - 1e-9 && r <= MAX_RETENTION + 1e-9)) {
    throw new UserError(`"${text}" is not a desired retention. Use 0.70 to 0.97 (or 70% to 97%), or default (90%).`);
  }
  return Math.round(r * 10_000) / 10_000;
}

const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;

/**
 * /settings: time zone, reviews a day, and desired retention (the chance of recall the scheduler
 * aims for at each review). Every option is checked before any is saved.
 */
export function settingsReply(services: Services, actor: Actor, place: Place, timezone: string | undefined, reviews?: string, retention?: string): Reply {
  if (retention === undefined) return otherSettings(services, actor, place, timezone, reviews);
  const wanted = parseRetention(retention);
  const store = quizStore(services);
  const user = store.user(actor, tenantOf(actor.platform, place));
  const rest = timezone === undefined && reviews === undefined ? undefined : otherSettings(services, actor, place, timezone, reviews);
  store.q('UPDATE users SET desired_retention = ? WHERE id = ?').run(wanted, user.id);
  const note =
    wanted === null
      ? md`Your reviews now aim for **${percent(DEFAULT_RETENTION)}** recall (the default).`
      : md`Your reviews now aim for **${percent(wanted)}** recall: ${wanted > DEFAULT_RETENTION ? 'more reviews, fewer lapses' : wanted < DEFAULT_RETENTION ? 'fewer reviews, more lapses' : 'the default'}.`;
  return rest ? { ...rest, text: `${rest.text}\n${note}` } : { text: note, visibility: 'ephemeral' };
}

function otherSettings(services: Services, actor: Actor, place: Place, timezone: string | undefined, reviews?: string): Reply {
  const store = quizStore(services);
  const user = store.user(actor, tenantOf(actor.platform, place));
  const { MAX_REVIEWS_PER_DAY } = services.config;
  if (reviews !== undefined) {
    const value = reviews.trim().toLowerCase();
    const cap = value === 'default' ? null : /^\d{1,3}$/.test(value) ? Number(value) : NaN;
    if (cap !== null && !(cap >= 1 && cap <= 500)) throw new UserError(`"${reviews}" is not a number of reviews. Use 1 to 500, or default (${MAX_REVIEWS_PER_DAY}).`);
    store.stmt.setReviewCap.run(cap, user.id);
    if (timezone === undefined) {
      return { text: cap === null ? md`You now get up to **${MAX_REVIEWS_PER_DAY}** reviews a day (the default).` : md`You now get up to **${cap}** reviews a day.`, visibility: 'ephemeral' };
    }
  }
  if (timezone === undefined) {
    const cap = store.stmt.reviewCap.get(user.id)?.cap ?? null;
    const perDay = cap === null ? md`**${MAX_REVIEWS_PER_DAY}** (the default)` : md`**${cap}**`;
    return {
      text:
        md`Your time zone: **${store.timezoneOf(user)}**${user.timezone ? '' : ' (the default)'}. Change it with \`/settings timezone:Europe/Berlin\`.\nReviews a day: ` +
        perDay +
        md`. Change it with \`/settings reviews:30\` (1 to 500, or default).\nDesired retention: ` +
        retentionNow(store, user.id) +
        md`. Change it with \`/settings retention:0.85\` (0.70 to 0.97, or default).`,
      visibility: 'ephemeral',
    };
  }
  // Stored and shown canonical: one spelling per zone, whatever case or alias was typed.
  const canonical = typedTimeZone(timezone);
  if (canonical === undefined) throw new UserError(`"${timezone}" is not a time zone. Use an IANA name such as Europe/Berlin or America/New_York.`);
  store.setTimezone(user, canonical);
  return { text: md`Your time zone is now **${canonical}**: streaks and "today" follow it.`, visibility: 'ephemeral' };
}

function retentionNow(store: QuizStore, userId: number): string {
  const stored = store.q<[number], { r: number | null }>('SELECT desired_retention r FROM users WHERE id = ?').get(userId)?.r ?? null;
  return stored === null ? md`**${percent(DEFAULT_RETENTION)}** (the default)` : md`**${percent(stored)}**`;
}

/** /stats: cards due, retention over 30 days, accuracy by lesson, streak, points here. */
export function statsReply(services: Services, actor: Actor, place: Place, now: Date): Reply {
  const store = quizStore(services);
  const tenant = tenantOf(actor.platform, place);
  const user = store.user(actor, tenant);
  const tz = store.timezoneOf(user);
  // Due today: everything due before the learner's day ends.
  const dayEnd = learnerToday(store, now, tz).end;
  const cards = store
    .q<[number, number, Tenant], { total: number; due: number }>(
      'SELECT count(*) total, coalesce(sum(c.due < ?), 0) due FROM cards c JOIN questions q ON q.id = c.question_id WHERE c.user_id = ? AND q.retired_at IS NULL AND (q.tenant IS NULL OR q.tenant = ?)',
    )
    .get(dayEnd, user.id, tenant)!;
  const retention = store
    .q<[number, number], { n: number; hits: number }>('SELECT count(*) n, coalesce(sum(correct), 0) hits FROM reviews WHERE user_id = ? AND answered_at >= ? AND was_due = 1 AND was_new = 0')
    .get(user.id, daysBefore(now, tz, 30))!;
  const byLesson = store
    .q<[number, Tenant], { lesson: string | null; n: number; hits: number }>(
      'SELECT q.lesson_id lesson, count(*) n, sum(r.correct) hits FROM reviews r JOIN questions q ON q.id = r.question_id WHERE r.user_id = ? AND (q.tenant IS NULL OR q.tenant = ?) GROUP BY q.lesson_id ORDER BY n DESC',
    )
    .all(user.id, tenant);
  const streak = currentStreak(store, user.id, now, tz);
  const points = store.q<[string, number], { points: number }>("SELECT points FROM scores WHERE scope = ? AND period = 'all' AND user_id = ?").get(tenantOf(actor.platform, place), user.id)?.points ?? 0;
  const next = nextReview(store, user, tenant, now);
  const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)}%` : '—');
  const fields = [
    { name: 'Cards', value: md`${cards.due} due today, ${cards.total} learned or learning`, inline: true },
    { name: 'Retention (30 days)', value: retention.n ? md`${pct(retention.hits, retention.n)} of ${retention.n} reviews` : 'No reviews of learned cards yet', inline: true },
    { name: 'Streak', value: md`${streak.current} day${streak.current === 1 ? '' : 's'} (best ${streak.best})`, inline: true },
    { name: 'Points here', value: md`${points}`, inline: true },
  ];
  if (next) fields.push({ name: 'Next review', value: md`${next}`, inline: true });
  const lessons = byLesson.map((l) => md`• ${services.lessons.get(l.lesson ?? '')?.title ?? l.lesson ?? 'Imported questions'}: ${pct(l.hits, l.n)} of ${l.n}`);
  return {
    title: md`Stats for ${actor.displayName}`,
    text: lessons.length ? md`**Accuracy by lesson**\n` + lessons.join('\n') : md`No answers yet. Start with \`/quiz\`.`,
    fields,
    visibility: 'ephemeral',
  };
}
