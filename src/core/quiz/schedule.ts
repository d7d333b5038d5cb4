import cron, { type ScheduledTask } from 'node-cron';
import { encodeAction } from '../actions.js';
import { UserError } from '../errors.js';
import type { Actor, Button, Place, Platform, Reply } from '../interaction.js';
import { md } from '../markup.js';
import { perServices, type Services } from '../services.js';
import { canonicalTimeZone, isoWeek, localDay, localParts, localWeekday, previousIsoWeek } from '../util/time.js';
import { typedTimeZone } from '../util/zone-abbreviations.js';
import { leaderboardReply } from './leaderboard.js';
import { forgetBoardZone } from './scoring.js';
import { quizStore } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';

export interface ScheduleRow {
  id: number;
  platform: Platform;
  serverId: string;
  channelId: string;
  time: string;
  timezone: string;
  weeklyLeaderboard: number;
  lastPostedDay: string | null;
  /** The bank or lesson the posted quiz asks (null: the daily quiz). */
  bankId: string | null;
  lessonId: string | null;
}

const columns =
  'id, platform, server_id serverId, channel_id channelId, time, timezone, weekly_leaderboard weeklyLeaderboard, last_posted_day lastPostedDay, bank_id bankId, lesson_id lessonId';

export function parseTime(time: string): { hour: number; minute: number } {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!m) throw new UserError(`"${time}" is not a time: use HH:MM on a 24-hour clock, e.g. 09:30, or "off".`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The daily post: Start opens each person's own quiz, of the schedule's bank or lesson when it names one. */
export function dailyPost(what: { bankId?: string | null; lessonId?: string | null; title?: string } = {}): Reply {
  const actionId = what.bankId ? encodeAction('qs', 'b', what.bankId) : what.lessonId ? encodeAction('qs', 'l', what.lessonId) : encodeAction('qs');
  return {
    title: what.title ? `📚 Today's quiz is ready: ${what.title}` : "📚 Today's quiz is ready",
    text: md`A few minutes a day keeps MoE fresh. Press **Start** for your personal quiz (only you see it).`,
    components: [[{ kind: 'button', label: 'Start', actionId, style: 'primary' }]],
    visibility: 'public',
  };
}

/** The title of what a schedule posts: its bank's or lesson's (undefined: the daily quiz). */
function scheduledTitle(services: Services, row: Pick<ScheduleRow, 'bankId' | 'lessonId'>): string | undefined {
  if (row.bankId) return quizStore(services).q<[string], { title: string }>('SELECT title FROM banks WHERE id = ?').get(row.bankId)?.title ?? row.bankId;
  if (row.lessonId) return services.lessons.get(row.lessonId)?.title ?? row.lessonId;
  return undefined;
}

/** Daily posts from the schedules table, one node-cron job per schedule, in its time zone. */
export class DailyScheduler {
  private jobs = new Map<number, ScheduledTask>();

  constructor(private services: Services) {}

  private rows(): ScheduleRow[] {
    return quizStore(this.services).q<[], ScheduleRow>(`SELECT ${columns} FROM schedules`).all();
  }

  start(): void {
    for (const row of this.rows()) this.arm(row);
  }

  stop(): void {
    for (const job of this.jobs.values()) void job.stop();
    this.jobs.clear();
  }

  jobCount(): number {
    return this.jobs.size;
  }

  arm(row: ScheduleRow): void {
    this.disarm(row.id);
    const { hour, minute } = parseTime(row.time);
    const job = cron.schedule(`${minute} ${hour} * * *`, () => this.fire(row.id, this.services.clock.now()), { timezone: row.timezone, name: `schedule-${row.id}` });
    this.jobs.set(row.id, job);
  }

  disarm(id: number): void {
    void this.jobs.get(id)?.stop();
    this.jobs.delete(id);
  }

  /**
   * Fires the schedules whose local HH:MM is `at` (a minute boundary): how a clock moved by hand
   * reaches them, where the jobs above follow real time. Each still posts once per local day.
   */
  async fireDue(at: Date): Promise<void> {
    for (const row of this.rows()) {
      const { hour, minute } = parseTime(row.time);
      const local = localParts(at, row.timezone);
      if (local.hour === hour && local.minute === minute) await this.fire(row.id, at);
    }
  }

  /** Whether any schedule exists (one query). */
  hasSchedules(): boolean {
    return quizStore(this.services).q('SELECT 1 FROM schedules LIMIT 1').get() !== undefined;
  }

  /** Posts today's quiz (and on Mondays the weekly leaderboard) once per local day. */
  async fire(id: number, now: Date): Promise<boolean> {
    const store = quizStore(this.services);
    const row = store.q<[number], ScheduleRow>(`SELECT ${columns} FROM schedules WHERE id = ?`).get(id);
    if (!row) return false;
    const day = localDay(now, row.timezone);
    const claimed = store.q('UPDATE schedules SET last_posted_day = ? WHERE id = ? AND (last_posted_day IS NULL OR last_posted_day != ?)').run(day, id, day);
    if (claimed.changes === 0) return false;
    const place = { serverId: row.serverId, channelId: row.channelId };
    const title = scheduledTitle(this.services, row);
    const posted = await this.services.outbox.send({ platform: row.platform, place, reply: dailyPost({ bankId: row.bankId, lessonId: row.lessonId, ...(title ? { title } : {}) }) });
    const monday = localWeekday(now, row.timezone) === 1;
    if (posted && row.weeklyLeaderboard && monday) {
      const bot: Actor = { platform: row.platform, userId: '__scheduler__', displayName: 'Quizbot', isAdmin: false };
      // Last week: the ISO week before the one that began this Monday in the schedule's zone.
      const lastWeek = previousIsoWeek(isoWeek(now, row.timezone));
      // Read by the channel, not by anyone as their own board.
      const board = await leaderboardReply(this.services, bot, place, 'week', 'server', undefined, now, lastWeek, false);
      await this.services.outbox.send({ platform: row.platform, place, reply: { ...board, title: `Last week's leaderboard` } });
    }
    if (!posted) this.services.logger.warn({ schedule: id, platform: row.platform, channel: row.channelId }, 'daily post could not be delivered; admins can check the channel and the bot permissions');
    return posted;
  }
}

export const dailyScheduler = perServices((services) => new DailyScheduler(services));

export interface ScheduleOptions {
  time: string;
  timezone?: string;
  channel?: string;
  weekly?: boolean;
  bank?: string;
  lesson?: string;
}

/**
 * The channel a schedule names, as an id of this server's channel: the channel the command came
 * from, or one named in the option that the platform confirms is in this server (a channel id of
 * another server is refused, never posted to).
 */
async function scheduleChannel(services: Services, actor: Actor, place: Place, named: string | undefined): Promise<string> {
  if (named === undefined || named === place.channelId) return place.channelId;
  const typed = named.trim().replace(/^<#([\w-]+)(\|[^>]*)?>$/, '$1').replace(/^#/, '');
  let id: string | undefined;
  try {
    id = typed === place.channelId ? typed : await services.outbox.channelOf(actor.platform, place.serverId, typed);
  } catch (err) {
    // The platform would not show the channel to the bot; its reason is written for admins.
    throw new UserError(`The bot cannot use the channel "${named}". ${(err as Error).message}`);
  }
  if (!id) throw new UserError(`There is no channel "${named}" in this server that the bot can see. Run the command in the channel, or name one of this server's channels.`);
  return id;
}

/** /quiz-admin schedule: set, change or turn off the daily post of a channel. */
export async function setSchedule(services: Services, actor: Actor, place: Place, o: ScheduleOptions, now: Date): Promise<Reply> {
  const store = quizStore(services);
  const channel = await scheduleChannel(services, actor, place, o.channel);
  const scheduler = dailyScheduler(services);
  if (o.time.trim().toLowerCase() === 'off') {
    const gone = store.q<[string, string, string], { id: number }>('DELETE FROM schedules WHERE platform = ? AND server_id = ? AND channel_id = ? RETURNING id').get(actor.platform, place.serverId, channel);
    if (!gone) return { text: md`There is no daily quiz in that channel.`, visibility: 'ephemeral' };
    scheduler.disarm(gone.id);
    forgetBoardZone(store, tenantOf(actor.platform, place));
    return { text: md`The daily quiz in #${channel} is off.`, visibility: 'ephemeral' };
  }
  const { hour, minute } = parseTime(o.time);
  if (o.bank && o.lesson) throw new UserError('A schedule posts a bank or a lesson, not both.');
  const tenant = tenantOf(actor.platform, place);
  if (o.bank && !store.q<[string, Tenant]>('SELECT 1 FROM banks WHERE id = ? AND retired_at IS NULL AND (tenant IS NULL OR tenant = ?)').get(o.bank, tenant)) {
    throw new UserError(`There is no bank "${o.bank}" in this server. See them with /quiz-admin banks.`);
  }
  if (o.lesson && !services.lessons.get(o.lesson)) {
    throw new UserError(`There is no lesson "${o.lesson}". Lessons: ${services.lessons.all().map((l) => l.id).join(', ')}.`);
  }
  const timezone = o.timezone === undefined ? canonicalTimeZone(services.config.DEFAULT_TIMEZONE) : typedTimeZone(o.timezone);
  if (!timezone) throw new UserError(`"${o.timezone}" is not a time zone. Use an IANA name such as Europe/Berlin.`);
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  const row = store
    .q(
      `INSERT INTO schedules (platform, server_id, channel_id, time, timezone, weekly_leaderboard, created_by, updated_at, bank_id, lesson_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform, server_id, channel_id) DO UPDATE SET time = excluded.time, timezone = excluded.timezone,
         weekly_leaderboard = excluded.weekly_leaderboard, created_by = excluded.created_by, updated_at = excluded.updated_at,
         bank_id = excluded.bank_id, lesson_id = excluded.lesson_id
       RETURNING ${columns}`,
    )
    .get(actor.platform, place.serverId, channel, time, timezone, o.weekly ? 1 : 0, actor.userId, now.getTime(), o.bank ?? null, o.lesson ?? null) as ScheduleRow;
  scheduler.arm(row);
  forgetBoardZone(store, tenant);
  const weekly = o.weekly ? ' and the weekly leaderboard on Mondays' : '';
  const what = o.bank ? ` of bank ${o.bank}` : o.lesson ? ` of lesson ${o.lesson}` : '';
  return { text: md`Daily quiz${what} scheduled: every day at **${time}** (${timezone}) in #${channel}${weekly}.`, visibility: 'ephemeral' };
}

/** Discord's 5 rows of 5 buttons: the most schedules one list can offer to remove. */
const MAX_LISTED_SCHEDULES = 25;

/** /quiz-admin schedules: this server's daily posts, each with a Remove button. */
export function listSchedules(services: Services, actor: Actor, place: Place): Reply {
  const rows = quizStore(services)
    .q<[string, string], ScheduleRow>(`SELECT ${columns} FROM schedules WHERE platform = ? AND server_id = ? ORDER BY channel_id, id`)
    .all(actor.platform, place.serverId);
  if (rows.length === 0) {
    return { title: 'Schedules', text: md`No daily quiz is scheduled in this server. Set one with \`/quiz-admin schedule <HH:MM>\`.`, visibility: 'ephemeral' };
  }
  const shown = rows.slice(0, MAX_LISTED_SCHEDULES);
  const lines = shown.map((r, i) => {
    const what = r.bankId ? md`bank ${r.bankId}` : r.lessonId ? md`lesson ${r.lessonId}` : md`the daily quiz`;
    const weekly = r.weeklyLeaderboard ? md`, weekly leaderboard on Mondays` : '';
    return md`${i + 1}. #${r.channelId} — **${r.time}** (${r.timezone}), ` + what + weekly;
  });
  const more = rows.length > shown.length ? md`\n\n${shown.length} of ${rows.length} shown; remove one to see the rest, or turn one off with \`/quiz-admin schedule off channel:<id>\`.` : '';
  const buttons: Button[] = shown.map((r, i) => ({ kind: 'button', label: `Remove ${i + 1}`, actionId: encodeAction('schedule.remove', r.id), style: 'danger' }));
  const components: Button[][] = [];
  for (let i = 0; i < buttons.length; i += 5) components.push(buttons.slice(i, i + 5));
  return { title: 'Schedules', text: lines.join('\n') + more, components, visibility: 'ephemeral' };
}

/** The Remove button of /quiz-admin schedules: deletes the schedule, stops its job, shows the list again. */
export function removeSchedule(services: Services, actor: Actor, place: Place, id: number): Reply {
  const gone = quizStore(services)
    .q<[number, string, string], { channelId: string }>('DELETE FROM schedules WHERE id = ? AND platform = ? AND server_id = ? RETURNING channel_id channelId')
    .get(id, actor.platform, place.serverId);
  if (!gone) return { text: 'That schedule was already removed.', visibility: 'ephemeral' };
  dailyScheduler(services).disarm(id);
  forgetBoardZone(quizStore(services), tenantOf(actor.platform, place));
  const list = listSchedules(services, actor, place);
  return { ...list, text: md`Removed the daily quiz in #${gone.channelId}.\n\n` + list.text, replaceOriginal: true };
}
