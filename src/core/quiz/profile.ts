import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { canonicalTimeZone, formatLocal } from '../util/time.js';
import { currentStreak } from './scoring.js';
import { quizStore, serverKey } from './store.js';
import type { Tenant } from '../tenant.js';

const DAY = 86_400_000;

export function settingsReply(services: Services, actor: Actor, place: Place, timezone: string | undefined): Reply {
  const store = quizStore(services);
  const user = store.user(actor, serverKey(actor.platform, place));
  if (timezone === undefined) {
    return { text: md`Your time zone: **${store.timezoneOf(user)}**${user.timezone ? '' : ' (the default)'}. Change it with \`/settings timezone:Europe/Berlin\`.`, visibility: 'ephemeral' };
  }
  // Stored and shown canonical: one spelling per zone, whatever case or alias was typed.
  const canonical = canonicalTimeZone(timezone);
  if (canonical === undefined) throw new UserError(`"${timezone}" is not a time zone. Use an IANA name such as Europe/Berlin or America/New_York.`);
  store.setTimezone(user, canonical);
  return { text: md`Your time zone is now **${canonical}**: streaks and "today" follow it.`, visibility: 'ephemeral' };
}

/** /stats: cards due, retention over 30 days, accuracy by lesson, streak, points here. */
export function statsReply(services: Services, actor: Actor, place: Place, now: Date): Reply {
  const store = quizStore(services);
  const tenant = serverKey(actor.platform, place);
  const user = store.user(actor, tenant);
  const tz = store.timezoneOf(user);
  const nowMs = now.getTime();
  const cards = store
    .q<[number, number, Tenant], { total: number; due: number }>(
      'SELECT count(*) total, coalesce(sum(c.due <= ?), 0) due FROM cards c JOIN questions q ON q.id = c.question_id WHERE c.user_id = ? AND q.retired_at IS NULL AND (q.tenant IS NULL OR q.tenant = ?)',
    )
    .get(nowMs, user.id, tenant)!;
  const retention = store
    .q<[number, number], { n: number; hits: number }>('SELECT count(*) n, coalesce(sum(correct), 0) hits FROM reviews WHERE user_id = ? AND answered_at >= ? AND was_due = 1 AND was_new = 0')
    .get(user.id, nowMs - 30 * DAY)!;
  const byLesson = store
    .q<[number, Tenant], { lesson: string | null; n: number; hits: number }>(
      'SELECT q.lesson_id lesson, count(*) n, sum(r.correct) hits FROM reviews r JOIN questions q ON q.id = r.question_id WHERE r.user_id = ? AND (q.tenant IS NULL OR q.tenant = ?) GROUP BY q.lesson_id ORDER BY n DESC',
    )
    .all(user.id, tenant);
  const streak = currentStreak(store, user.id, now, tz);
  const points = store.q<[string, number], { points: number }>("SELECT points FROM scores WHERE scope = ? AND period = 'all' AND user_id = ?").get(serverKey(actor.platform, place), user.id)?.points ?? 0;
  const nextDue = store.stmt.nextDue.get(user.id, tenant)?.due;
  const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)}%` : '—');
  const fields = [
    { name: 'Cards', value: md`${cards.due} due now, ${cards.total} learned or learning`, inline: true },
    { name: 'Retention (30 days)', value: retention.n ? md`${pct(retention.hits, retention.n)} of ${retention.n} reviews` : 'No reviews of learned cards yet', inline: true },
    { name: 'Streak', value: md`${streak.current} day${streak.current === 1 ? '' : 's'} (best ${streak.best})`, inline: true },
    { name: 'Points here', value: md`${points}`, inline: true },
  ];
  if (nextDue) fields.push({ name: 'Next review', value: nextDue <= nowMs ? 'now' : md`${formatLocal(new Date(nextDue), tz)}`, inline: true });
  const lessons = byLesson.map((l) => md`• ${services.lessons.get(l.lesson ?? '')?.title ?? l.lesson ?? 'Imported questions'}: ${pct(l.hits, l.n)} of ${l.n}`);
  return {
    title: md`Stats for ${actor.displayName}`,
    text: lessons.length ? md`**Accuracy by lesson**\n` + lessons.join('\n') : md`No answers yet. Start with \`/quiz\`.`,
    fields,
    visibility: 'ephemeral',
  };
}
