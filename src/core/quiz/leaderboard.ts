import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md, plainText } from '../markup.js';
import { typedCommand } from '../catalogue.js';
import { altText } from '../util/text.js';
import { renderLeaderboardCard } from './leaderboard-card.js';
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
 * whoever reached the score first. Without a caller (`userId` undefined), the top alone.
 */
export function readBoard(store: QuizStore, tenant: Tenant, scope: string, period: string, userId: number | undefined, size = 10): Board {
  // Names as this tenant knows its members: a nickname from another server never shows here.
  const name = (id: number) => store.memberName(tenant, id);
  const standings = store.boards.board(scope, period);
  const top = standings.slice(1, size).map((r, i) => ({ ...r, rank: i + 1, name: name(r.userId) }));
  const mine = userId === undefined ? undefined : standings.get(userId);
  if (userId === undefined || !mine) return { top, around: [] };
  const me = { ...mine, rank: standings.rank(userId)! };
  if (me.rank <= size) return { top, around: [], me };
  const around = standings.around(userId, 2).map((r) => ({ ...r, name: name(r.userId) }));
  return { top, around, me };
}

/** How a board's period reads: "this week", "last week", "week 2026-W40", "season 2", … `pk` is its period key, `thisWeek` the key of the week that runs. */
function periodLabel(period: Period, season: number | undefined, pk: string, thisWeek: string, now: Date, store: QuizStore, key: Tenant): string {
  if (season !== undefined) return `season ${season}`;
  if (period === 'season') return `season ${store.currentSeason(key, now.getTime())}`;
  if (period === 'week' && pk !== thisWeek) return pk === 'w' + previousIsoWeek(thisWeek.slice(1)) ? 'last week' : `week ${pk.slice(1)}`;
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
function groupBoard(store: QuizStore, key: Tenant, period: string, userId: number | undefined): BoardRow[] {
  const members = store
    .q<[number | null, string], { groupId: number; name: string; userId: number; mine: number }>(
      `SELECT g.id groupId, g.name, m.user_id userId, CASE WHEN m.user_id = ? THEN 1 ELSE 0 END mine
       FROM study_groups g JOIN group_members m ON m.group_id = g.id WHERE g.server_key = ?`,
    )
    .all(userId ?? null, key);
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
  return [...groups.values()]
    .map((r) => ({ ...r, perMember: r.active ? r.total / r.active : 0 }))
    .sort((a, b) => b.perMember - a.perMember || b.total - a.total || a.name.localeCompare(b.name))
    .map((r, i) => ({
      rank: i + 1,
      name: r.name,
      score: r.perMember,
      shown: `${r.perMember.toFixed(1)} / member`,
      detail: `${r.perMember.toFixed(1)} points per active member (${r.total} points, ${r.active} of ${r.members} active)`,
      mine: r.mine === 1,
    }));
}

/** An empty board this week: said plainly, with last week's winner when there was one. */
function freshWeek(store: QuizStore, key: Tenant, scopeKey: string, where: string, now: Date): string {
  const lastWeek = 'w' + previousIsoWeek(isoWeek(now, boardZone(store, key)));
  const winner = readBoard(store, key, scopeKey, lastWeek, undefined, 1).top[0];
  const last = winner ? md` Last week's winner: **${winner.name}** with ${winner.points} points.` : '';
  return md`Nobody has scored yet this week in ${where}.` + last + md` Take \`/quiz\` or start a \`/quiz race\` to lead the board!`;
}

/** One row of a board as shown: a learner (or a group) with their rank and score. */
export interface BoardRow {
  rank: number;
  name: string;
  /** What the row is ranked by: points, or a group's points per active member. */
  score: number;
  /** The score as the card prints it. */
  shown: string;
  /** The score as the text prints it after the name, where it says more than `shown` (a group's). */
  detail?: string;
  /** The reader's own row (or the reader's group). */
  mine: boolean;
}

/** A board as /leaderboard shows it, computed once for its text and its card (leaderboard-card.ts). */
export interface BoardView {
  title: string;
  /** "this server" or "this channel". */
  where: string;
  /** "this week", "last week", "season 2", "all time", … */
  label: string;
  groups: boolean;
  /** The top 10. */
  top: BoardRow[];
  /** The reader with up to two neighbours each side, when the reader is ranked below the top 10. */
  around: BoardRow[];
  /** The reader's own row, wherever it is; undefined when the reader has no points here. */
  me?: BoardRow;
  /** Markup said instead of a board when nobody is on it. */
  empty?: string;
  /** Markup under the board (why the reader is not on it). */
  note?: string;
}

/**
 * The board `/leaderboard` shows at `now`; `week` names another ISO week to read (2026-W49), as
 * the Monday post does for last week. `reader` false: nobody reads it as their own (a post).
 */
export function leaderboardView(services: Services, actor: Actor, place: Place, period: Period, scope: Scope, season: number | undefined, now: Date, week?: string, reader = true): BoardView {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  if (season !== undefined && season > store.currentSeason(key, now.getTime())) throw new UserError(`Season ${season} has not started yet.`);
  // A post that nobody reads as their own leaves the users table alone.
  const userId = reader ? store.user(actor, key).id : undefined;
  const pk = period === 'week' && season === undefined && week !== undefined ? `w${week}` : periodKey(store, key, period, season, now);
  const thisWeek = periodKey(store, key, 'week', undefined, now);
  const label = periodLabel(period, season, pk, thisWeek, now, store, key);
  const where = scope === 'channel' ? 'this channel' : 'this server';
  if (scope === 'groups') {
    const rows = groupBoard(store, key, pk, userId);
    const view: BoardView = { title: `Study groups — ${label}`, where, label, groups: true, top: rows, around: [], me: rows.find((r) => r.mine) };
    if (rows.length === 0) view.empty = md`No study groups yet. Create one with \`/group create <name>\`.`;
    return view;
  }
  const scopeKey = scope === 'channel' ? `${key}#${place.channelId}` : key;
  const board = readBoard(store, key, scopeKey, pk, userId);
  // A season that has ended: its final standings, with nothing to earn any more.
  const pastSeason = season !== undefined && season < store.currentSeason(key, now.getTime());
  const title = `Leaderboard — ${where}, ${label}${pastSeason ? ' (final)' : ''}`;
  const row = (r: Board['top'][number]): BoardRow => ({ rank: r.rank, name: r.name, score: r.points, shown: String(r.points), mine: r.userId === userId });
  const view: BoardView = { title, where, label, groups: false, top: board.top.map(row), around: board.around.map(row) };
  view.me = [...view.top, ...view.around].find((r) => r.mine);
  if (board.top.length === 0) {
    if (pastSeason) view.empty = md`Nobody scored in ${where} in season ${season}.`;
    else if (pk === thisWeek) view.empty = freshWeek(store, key, scopeKey, where, now);
    else view.empty = md`No points in ${where} yet. Take \`/quiz\` or start a \`/quiz race\`!`;
  } else if (reader && !board.me) {
    view.note = pastSeason ? md`_You did not score in season ${season}._` : md`_You have no points here ${label === 'all time' ? 'yet' : label} — answer a due question to get on the board._`;
  }
  return view;
}

/** The board as text: the same lines whether or not its card is shown. */
function boardText(view: BoardView): string {
  if (view.empty) return view.empty;
  const line = (r: BoardRow) => {
    // Medals for the top three learners; groups are numbered.
    const mark = !view.groups && r.rank <= 3 ? ['🥇', '🥈', '🥉'][r.rank - 1]! : `${r.rank}.`;
    const text = md`${mark} ${r.name} — ${r.detail ?? r.shown}`;
    return r.mine ? `**${text}**` : text;
  };
  let text = view.top.map(line).join('\n');
  if (view.around.length) text += '\n…\n' + view.around.map(line).join('\n');
  if (view.note) text += '\n\n' + view.note;
  return text;
}

/** The short text version of the card: its alt text. */
function boardAlt(view: BoardView): string {
  const head = `${view.groups ? 'Study groups' : 'Leaderboard'} card, ${view.groups ? '' : `${view.where}, `}${view.label}`;
  if (view.empty) return altText(`${head}: ${plainText(view.empty)}`);
  const rows = view.top.map((r) => `${r.rank}. ${r.name} ${r.shown}`).join(', ');
  const tail = view.me ? `; you are ${view.groups ? 'in ' + view.me.name + ', ' : ''}number ${view.me.rank} with ${view.me.shown}.` : view.note ? `; ${plainText(view.note)}` : '.';
  // The reader's rank is worth more than the tail of the top 10: it stays when the list is cut.
  return altText(`${head}: ${rows}`, 1000 - tail.length) + altText(tail);
}

/** /leaderboard: the card, with the board as text. */
export async function leaderboardReply(services: Services, actor: Actor, place: Place, period: Period, scope: Scope, season: number | undefined, now: Date, week?: string, reader = true): Promise<Reply> {
  const view = leaderboardView(services, actor, place, period, scope, season, now, week, reader);
  return {
    title: view.title,
    text: boardText(view),
    image: { filename: view.groups ? 'study-groups.png' : 'leaderboard.png', png: await renderLeaderboardCard(view, { quizCommand: typedCommand('quiz', actor.platform) }), alt: boardAlt(view) },
    visibility: 'public',
  };
}
