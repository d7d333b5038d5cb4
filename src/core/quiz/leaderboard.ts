import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { boardZone, periodKeys } from './scoring.js';
import { quizStore, type QuizStore } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';
import { isoWeek, monthSpan, previousIsoWeek, weekSpan } from '../util/time.js';

export type Period = 'week' | 'month' | 'season' | 'all';
export type Scope = 'server' | 'channel' | 'groups';

interface Row {
  userId: number;
  points: number;
  reachedAt: number;
}

export interface Board {
  top: (Row & { rank: number; name: string })[];
  /** The caller's rank with up to two neighbours on each side, when outside the top 10. */
  around: (Row & { rank: number; name: string })[];
  me?: Row & { rank: number };
}

function periodKey(store: QuizStore, key: Tenant, period: Period, season: number | undefined, now: Date): string {
  if (season !== undefined) return `s${season}`;
  if (period === 'all') return 'all';
  const current = store.currentSeason(key, now.getTime());
  const keys = periodKeys(now, boardZone(store, key), current);
  return keys[period];
}

/**
 * Top 10 and the caller's neighbourhood, from the board's standings in memory (loaded from the
 * running totals on first use): however many awards and users there are, a few steps. Ties go to
 * whoever reached the score first.
 */
export function readBoard(store: QuizStore, tenant: Tenant, scope: string, period: string, userId: number, size = 10): Board {
  // Names as this tenant knows its members: a nickname from another server never shows here.
  const name = (id: number) => store.memberName(tenant, id);
  const standings = store.boards.board(scope, period);
  const top = standings.slice(1, size).map((r, i) => ({ ...r, rank: i + 1, name: name(r.userId) }));
  const mine = standings.get(userId);
  if (!mine) return { top, around: [] };
  const me = { ...mine, rank: standings.rank(userId)! };
  if (me.rank <= size) return { top, around: [], me };
  const around = standings.around(userId, 2).map((r) => ({ ...r, name: name(r.userId) }));
  return { top, around, me };
}

function periodLabel(period: Period, season: number | undefined, now: Date, store: QuizStore, key: Tenant): string {
  if (season !== undefined) return `season ${season}`;
  if (period === 'season') return `season ${store.currentSeason(key, now.getTime())}`;
  return { week: 'this week', month: 'this month', all: 'all time' }[period];
}

/**
 * Whether an award made at `at` (epoch ms) counts in a board's period: `all`, a season (from its
 * start to its end), or the week or month it falls in (in the server's time zone).
 */
function periodBounds(store: QuizStore, key: Tenant, period: string): { start: number; end: number } {
  const none = { start: 0, end: 0 };
  if (period === 'all') return { start: 0, end: Number.MAX_SAFE_INTEGER };
  if (period.startsWith('s')) {
    const season = store.q<[string, number], { startedAt: number; endedAt: number | null }>('SELECT started_at startedAt, ended_at endedAt FROM seasons WHERE server_key = ? AND number = ?').get(key, Number(period.slice(1)));
    return season ? { start: season.startedAt, end: season.endedAt ?? Number.MAX_SAFE_INTEGER } : none;
  }
  // In the zone the server's points are written in (see boardZone).
  const timeZone = boardZone(store, key);
  if (period.startsWith('m')) return monthSpan(period.slice(1), timeZone) ?? none;
  if (period.startsWith('w')) return weekSpan(period.slice(1), timeZone) ?? none;
  return none;
}

/**
 * Groups ranked by points per active member. A group counts only what its members earned in this
 * server while in it (since each joined), within the period: points from before joining stay with
 * the member's own board. Summed in SQLite from the awards, one index range (awards_member) per member.
 */
function groupBoard(store: QuizStore, key: Tenant, period: string, userId: number): string {
  const members = store
    .q<[number, string], { groupId: number; name: string; userId: number; mine: number }>(
      `SELECT g.id groupId, g.name, m.user_id userId, CASE WHEN m.user_id = ? THEN 1 ELSE 0 END mine
       FROM study_groups g JOIN group_members m ON m.group_id = g.id WHERE g.server_key = ?`,
    )
    .all(userId, key);
  // Each member's awards in this server since they joined, within the period: one index range each.
  const { start, end } = periodBounds(store, key, period);
  const earned = store
    .q<[{ key: string; start: number; end: number }], { userId: number; points: number }>(
      `SELECT m.user_id userId,
         (SELECT coalesce(sum(a.points), 0) FROM awards a
          WHERE a.server_key = m.server_key AND a.user_id = m.user_id AND a.created_at >= max(m.joined_at, @start) AND a.created_at < @end) points
       FROM group_members m WHERE m.server_key = @key`,
    )
    .all({ key, start, end });
  const byUser = new Map(earned.map((e) => [e.userId, e.points]));
  const groups = new Map<number, { name: string; members: number; total: number; active: number; mine: number }>();
  for (const m of members) {
    const g = groups.get(m.groupId) ?? { name: m.name, members: 0, total: 0, active: 0, mine: 0 };
    const points = byUser.get(m.userId) ?? 0;
    g.members++;
    g.total += points;
    if (points > 0) g.active++;
    g.mine = Math.max(g.mine, m.mine);
    groups.set(m.groupId, g);
  }
  const rows = [...groups.values()];
  if (rows.length === 0) return md`No study groups yet. Create one with \`/group create <name>\`.`;
  const ranked = rows
    .map((r) => ({ ...r, perMember: r.active ? r.total / r.active : 0 }))
    .sort((a, b) => b.perMember - a.perMember || b.total - a.total || a.name.localeCompare(b.name));
  return ranked
    .map((r, i) => {
      const line = md`${i + 1}. ${r.name} — ${r.perMember.toFixed(1)} points per active member (${r.total} points, ${r.active} of ${r.members} active)`;
      return r.mine ? `**${line}**` : line;
    })
    .join('\n');
}

/** An empty board this week: said plainly, with last week's winner when there was one. */
function freshWeek(store: QuizStore, key: Tenant, scopeKey: string, where: string, userId: number, now: Date): string {
  const lastWeek = 'w' + previousIsoWeek(isoWeek(now, boardZone(store, key)));
  const winner = readBoard(store, key, scopeKey, lastWeek, userId, 1).top[0];
  const last = winner ? md` Last week's winner: **${winner.name}** with ${winner.points} points.` : '';
  return md`Nobody has scored yet this week in ${where}.` + last + md` Take \`/quiz\` or start a \`/quiz race\` to lead the board!`;
}

/**
 * A board as `/leaderboard` shows it at `now`; `week` names another ISO week to read (2026-W49),
 * as the Monday post does for last week.
 */
export function leaderboardReply(services: Services, actor: Actor, place: Place, period: Period, scope: Scope, season: number | undefined, now: Date, week?: string): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  if (season !== undefined && season > store.currentSeason(key, now.getTime())) throw new UserError(`Season ${season} has not started yet.`);
  const user = store.user(actor, key);
  const pk = period === 'week' && season === undefined && week !== undefined ? `w${week}` : periodKey(store, key, period, season, now);
  const label = periodLabel(period, season, now, store, key);
  if (scope === 'groups') {
    return { title: `Study groups — ${label}`, text: groupBoard(store, key, pk, user.id), visibility: 'public' };
  }
  const scopeKey = scope === 'channel' ? `${key}#${place.channelId}` : key;
  const board = readBoard(store, key, scopeKey, pk, user.id);
  const where = scope === 'channel' ? 'this channel' : 'this server';
  // A season that has ended: its final standings, with nothing to earn any more.
  const pastSeason = season !== undefined && season < store.currentSeason(key, now.getTime());
  const title = `Leaderboard — ${where}, ${label}${pastSeason ? ' (final)' : ''}`;
  if (board.top.length === 0) {
    if (pastSeason) return { title, text: md`Nobody scored in ${where} in season ${season}.`, visibility: 'public' };
    // Only the week that runs now is "this week" (a post of last week's board asks for an earlier one).
    if (period === 'week' && season === undefined && pk === periodKey(store, key, 'week', undefined, services.clock.now())) return { title, text: freshWeek(store, key, scopeKey, where, user.id, now), visibility: 'public' };
    return { title, text: md`No points in ${where} yet. Take \`/quiz\` or start a \`/quiz race\`!`, visibility: 'public' };
  }
  const line = (r: Board['top'][number]) => {
    const medal = r.rank === 1 ? '🥇' : r.rank === 2 ? '🥈' : r.rank === 3 ? '🥉' : `${r.rank}.`;
    const text = md`${medal} ${r.name} — ${r.points}`;
    return r.userId === user.id ? `**${text}**` : text;
  };
  let text = board.top.map(line).join('\n');
  if (board.around.length) text += '\n…\n' + board.around.map(line).join('\n');
  else if (!board.me && pastSeason) text += md`\n\n_You did not score in season ${season}._`;
  else if (!board.me) text += md`\n\n_You have no points here ${label === 'all time' ? 'yet' : label} — answer a due question to get on the board._`;
  return { title, text, visibility: 'public' };
}
