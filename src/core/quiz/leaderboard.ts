import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { periodKeys } from './scoring.js';
import { quizStore, serverKey, type QuizStore } from './store.js';
import type { Tenant } from '../tenant.js';

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
  const keys = periodKeys(now, store.services.config.DEFAULT_TIMEZONE, current);
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

function groupBoard(store: QuizStore, key: Tenant, period: string, userId: number): string {
  const rows = store
    .q(
      `SELECT g.name, count(m.user_id) members, coalesce(sum(s.points), 0) total,
         sum(CASE WHEN s.points > 0 THEN 1 ELSE 0 END) active,
         max(CASE WHEN m.user_id = ? THEN 1 ELSE 0 END) mine
       FROM study_groups g JOIN group_members m ON m.group_id = g.id
       LEFT JOIN scores s ON s.scope = ? AND s.period = ? AND s.user_id = m.user_id
       WHERE g.server_key = ? GROUP BY g.id`,
    )
    .all(userId, key, period, key) as { name: string; members: number; total: number; active: number; mine: number }[];
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
  const lastWeek = periodKeys(new Date(now.getTime() - 7 * 86_400_000), store.services.config.DEFAULT_TIMEZONE, 0).week;
  const winner = readBoard(store, key, scopeKey, lastWeek, userId, 1).top[0];
  const last = winner ? md` Last week's winner: **${winner.name}** with ${winner.points} points.` : '';
  return md`Nobody has scored yet this week in ${where}.` + last + md` Take \`/quiz\` or start a \`/quiz race\` to lead the board!`;
}

export function leaderboardReply(services: Services, actor: Actor, place: Place, period: Period, scope: Scope, season: number | undefined, now: Date): Reply {
  const store = quizStore(services);
  const key = serverKey(actor.platform, place);
  if (season !== undefined && season > store.currentSeason(key, now.getTime())) throw new UserError(`Season ${season} has not started yet.`);
  const user = store.user(actor, key);
  const pk = periodKey(store, key, period, season, now);
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
