import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { formatDay } from '../util/time.js';
import { typedTimeZone } from '../util/zone-abbreviations.js';
import { typedCommand } from '../catalogue.js';
import { quizStore, type QuizStore } from './store.js';
import { renderStatsCard } from './stats-card.js';
import { FORECAST_DAYS, RETENTION_DAYS, statsFigures, type StatsFigures } from './stats-figures.js';
import { DEFAULT_RETENTION } from './srs.js';
import { MAX_RETENTION, MIN_RETENTION } from '../srs/parameters.js';
import { tenantOf } from '../tenant.js';
import { altText, percent } from '../util/text.js';

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

/** A desired retention as the settings say it, to one decimal: 0.875 → "87.5%". */
const retentionSetting = (r: number) => `${Math.round(r * 1000) / 10}%`;

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
      ? md`Your reviews now aim for **${retentionSetting(DEFAULT_RETENTION)}** recall (the default).`
      : md`Your reviews now aim for **${retentionSetting(wanted)}** recall: ${wanted > DEFAULT_RETENTION ? 'more reviews, fewer lapses' : wanted < DEFAULT_RETENTION ? 'fewer reviews, more lapses' : 'the default'}.`;
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
  return stored === null ? md`**${retentionSetting(DEFAULT_RETENTION)}** (the default)` : md`**${retentionSetting(stored)}**`;
}

/** The short text version of the stats card: its alt text, read out by screen readers. */
function statsAlt(f: StatsFigures, dayLabel: (start: number) => string): string {
  const peak = f.forecast[f.busiestDay]!;
  const parts = [
    f.dueInForecast ? `${f.cards.dueToday} cards due today, ${f.dueInForecast} in the next ${FORECAST_DAYS} days${peak.due > f.cards.dueToday ? ` (most on ${dayLabel(peak.start)}: ${peak.due})` : ''}` : 'nothing due yet',
    `${f.activeDays} of the last ${f.calendar.length} days with answers, streak ${f.streak.current} day${f.streak.current === 1 ? '' : 's'} (best ${f.streak.best})`,
    f.retention.rate === null
      ? `no due reviews in ${RETENTION_DAYS} days yet (goal ${percent(f.retention.desired)})`
      : `true retention ${percent(f.retention.rate)} of ${f.retention.reviews} due reviews in ${RETENTION_DAYS} days, goal ${percent(f.retention.desired)}`,
    f.mastery.length ? 'mastered ' + f.mastery.map((l) => `${l.title} ${l.mastered} of ${l.questions}`).join(', ') : 'no lessons started',
  ];
  return altText(`Stats card of ${f.name}: ${parts.join('; ')}.`);
}

/** /stats: the stats card, with its figures as text (cards due, retention, streak, points, accuracy by lesson). */
export async function statsReply(services: Services, actor: Actor, place: Place, now: Date): Promise<Reply> {
  const f = statsFigures(services, actor, place, now);
  const pct = (a: number, b: number) => (b ? percent(a / b) : '—');
  const fields = [
    { name: 'Cards', value: md`${f.cards.dueToday} due today, ${f.cards.total} learned or learning`, inline: true },
    {
      name: `Retention (${RETENTION_DAYS} days)`,
      value: f.retention.rate === null ? 'No reviews of learned cards yet' : md`${percent(f.retention.rate)} of ${f.retention.reviews} reviews (goal ${percent(f.retention.desired)})`,
      inline: true,
    },
    { name: 'Streak', value: md`${f.streak.current} day${f.streak.current === 1 ? '' : 's'} (best ${f.streak.best})`, inline: true },
    { name: 'Points here', value: md`${f.points}`, inline: true },
  ];
  if (f.nextReview) fields.push({ name: 'Next review', value: md`${f.nextReview}`, inline: true });
  const lessons = f.accuracy.map((l) => md`• ${l.title}: ${pct(l.right, l.answers)} of ${l.answers}`);
  const dayLabel = (start: number) => formatDay(new Date(start), now, f.timeZone, services.config.DAY_STARTS_AT_HOUR);
  return {
    title: md`Stats for ${actor.displayName}`,
    text: lessons.length ? md`**Accuracy by lesson**\n` + lessons.join('\n') : md`No answers yet. Start with \`/quiz\`.`,
    fields,
    image: { filename: 'stats.png', png: await renderStatsCard(f, { quizCommand: typedCommand('quiz', actor.platform) }), alt: statsAlt(f, dayLabel) },
    visibility: 'ephemeral',
  };
}
