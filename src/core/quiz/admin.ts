import { encodeAction } from '../actions.js';
import { UserError } from '../errors.js';
import type { Actor, Button, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import { assertAdmin } from '../permissions.js';
import type { Services } from '../services.js';
import { truncate } from '../util/text.js';
import { readBoard } from './leaderboard.js';
import { quizStore } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';

/** A question as admins know it: the id its bank's file gives it, with the bank when that id is not unique. */
const SHOWN_ID = "CASE WHEN q.local_id IS NOT NULL AND q.local_id != q.id THEN q.local_id || ' in ' || q.bank_id ELSE q.id END";

/** Thresholds for flagging questions, with enough attempts to mean something. */
export const QUESTION_FLAGS = { minAttempts: 5, tooEasy: 0.9, tooHard: 0.35 } as const;

/** How long the confirmation button of /quiz-admin end-season works. */
export const END_SEASON_CONFIRM_MINUTES = 10;

/** /quiz-admin end-season: asks first, with a button that ends the current season for a while. */
export function confirmEndSeason(services: Services, actor: Actor, place: Place, now: Date): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const current = store.currentSeason(key, now.getTime());
  const row = store.q<[string, number], { rowid: number }>('SELECT rowid FROM seasons WHERE server_key = ? AND number = ?').get(key, current)!;
  // The button names the season's row and number and when it stops working (epoch minutes).
  const expires = Math.ceil(now.getTime() / 60_000) + END_SEASON_CONFIRM_MINUTES;
  return {
    title: `End season ${current}?`,
    text: md`This archives season ${current}'s standings (readable with \`/leaderboard season:${current}\`) and starts season ${current + 1} for everyone. Press **End season ${current}** within ${END_SEASON_CONFIRM_MINUTES} minutes to confirm.`,
    components: [[{ kind: 'button', label: `End season ${current}`, actionId: encodeAction('season.end', row.rowid, current, expires), style: 'danger' }]],
    visibility: 'ephemeral',
  };
}

/**
 * The confirmation button: ends season `season` if it is still the current one and the button has
 * not expired. Its standings stay readable as season N, and season N+1 starts; a second press
 * finds the season ended and changes nothing.
 */
export function endSeason(services: Services, actor: Actor, place: Place, season: number, expiresMinute: number, now: Date): Reply {
  if (now.getTime() > expiresMinute * 60_000) {
    return { text: 'This confirmation has expired. Run /quiz-admin end-season again.', visibility: 'ephemeral', replaceOriginal: true };
  }
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const user = store.user(actor, key);
  const ended = store.sqlite.transaction(() => {
    const done = store.q('UPDATE seasons SET ended_at = ?, ended_by = ? WHERE server_key = ? AND number = ? AND ended_at IS NULL').run(now.getTime(), actor.userId, key, season);
    if (done.changes === 0) return false;
    store.q('INSERT INTO seasons (server_key, number, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(key, season + 1, now.getTime());
    return true;
  })();
  store.forgetSeason(key);
  if (!ended) return { text: md`Season ${season} has already ended.`, visibility: 'ephemeral' };
  const board = readBoard(store, key, key, `s${season}`, user.id);
  const standings = board.top.length ? board.top.map((r) => md`${r.rank}. ${r.name} — ${r.points}`).join('\n') : md`Nobody scored this season.`;
  return {
    title: `Season ${season} is over`,
    text: md`Final standings (see them any time with \`/leaderboard season:${season}\`):\n` + standings + md`\n\nSeason ${season + 1} starts now. Good luck!`,
    visibility: 'public',
  };
}

/** Questions per page of /quiz-admin stats. */
export const STATS_PAGE_SIZE = 25;

/** The questions this tenant learns from (global ones and its own imports), most answered first, a page at a time. */
export function questionStats(services: Services, actor: Actor, place: Place, page = 1): Reply {
  const store = quizStore(services);
  const answered = store
    .q<[Tenant], { id: string; prompt: string; n: number; hits: number }>(
      `SELECT ${SHOWN_ID} id, json_extract(q.body, '$.prompt') prompt, count(r.id) n, coalesce(sum(r.correct), 0) hits
       FROM questions q JOIN reviews r ON r.question_id = q.id WHERE q.retired_at IS NULL AND (q.tenant IS NULL OR q.tenant = ?)
       GROUP BY q.id ORDER BY n DESC, q.id`,
    )
    .all(tenantOf(actor.platform, place));
  if (answered.length === 0) return { text: 'No answers yet.', visibility: 'ephemeral' };
  const pages = Math.ceil(answered.length / STATS_PAGE_SIZE);
  if (page > pages) throw new UserError(`There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of question stats.`);
  const flag = (r: (typeof answered)[number]) => {
    if (r.n < QUESTION_FLAGS.minAttempts) return '';
    const rate = r.hits / r.n;
    return rate >= QUESTION_FLAGS.tooEasy ? ' ⚠️ too easy' : rate <= QUESTION_FLAGS.tooHard ? ' ⚠️ too hard' : '';
  };
  const first = (page - 1) * STATS_PAGE_SIZE;
  const shown = answered.slice(first, first + STATS_PAGE_SIZE);
  const lines = shown.map((r) => md`\`${r.id}\` ${Math.round((100 * r.hits) / r.n)}% of ${r.n}` + flag(r) + md` — ${truncate(r.prompt, 70)}`);
  const flagged = answered.filter((r) => flag(r)).length;
  // Never cut short silently: say which part this is and how to see the rest.
  const part =
    pages === 1
      ? ''
      : md`\n${first + 1}–${first + shown.length} of ${answered.length} shown, most answered first` +
        (page < pages ? md`; see the next ${Math.min(STATS_PAGE_SIZE, answered.length - first - shown.length)} with \`/quiz-admin stats page:${page + 1}\`.` : md`; this is the last page.`);
  return {
    title: pages === 1 ? 'Question stats' : `Question stats — page ${page} of ${pages}`,
    text: lines.join('\n') + md`\n\n${answered.length} questions answered, ${flagged} flagged (at least ${QUESTION_FLAGS.minAttempts} attempts and ≥ ${QUESTION_FLAGS.tooEasy * 100}% or ≤ ${QUESTION_FLAGS.tooHard * 100}% right).` + part,
    visibility: 'ephemeral',
  };
}

/** The "Report question" button: the comment goes into the admins' queue. */
export function reportQuestion(services: Services, actor: Actor, place: Place, questionId: string, comment: string | undefined, now: Date): Reply {
  const store = quizStore(services);
  const text = (comment ?? '').trim();
  if (!text) throw new UserError('Please say what is wrong with the question.');
  const tenant = tenantOf(actor.platform, place);
  const question = store.stmt.question.get(questionId);
  // Another tenant's question is as good as absent here.
  if (!question || (question.tenant !== null && question.tenant !== tenant)) throw new UserError('This question no longer exists.');
  const user = store.user(actor, tenant);
  store.q('INSERT INTO question_reports (question_id, user_id, server_key, comment, created_at) VALUES (?, ?, ?, ?, ?)').run(questionId, user.id, tenant, truncate(text, 500), now.getTime());
  return { text: 'Thanks! An admin will look at this question.', visibility: 'ephemeral' };
}

export function reportsReply(services: Services, actor: Actor, place: Place): Reply {
  const store = quizStore(services);
  const rows = store
    .q<[string], { id: number; questionId: string; comment: string; name: string; prompt: string | null }>(
      `SELECT r.id, coalesce(${SHOWN_ID}, r.question_id) questionId, r.comment, coalesce(m.display_name, 'someone') name, json_extract(q.body, '$.prompt') prompt
       FROM question_reports r LEFT JOIN members m ON m.tenant = r.server_key AND m.user_id = r.user_id LEFT JOIN questions q ON q.id = r.question_id
       WHERE r.resolved_at IS NULL AND r.server_key = ? ORDER BY r.created_at LIMIT 10`,
    )
    .all(tenantOf(actor.platform, place));
  if (rows.length === 0) return { text: 'No open reports.', visibility: 'ephemeral' };
  const text = rows.map((r, i) => md`${i + 1}. \`${r.questionId}\` ${truncate(r.prompt ?? '', 80)}\n   ${r.name}: "${r.comment}"`).join('\n');
  const buttons: Button[] = rows.map((r, i) => ({ kind: 'button', label: `Resolve ${i + 1}`, actionId: encodeAction('qres', r.id), style: 'secondary' }));
  const components: Button[][] = [];
  for (let i = 0; i < buttons.length; i += 5) components.push(buttons.slice(i, i + 5));
  return { title: 'Reported questions', text, components, visibility: 'ephemeral' };
}

export function resolveReport(services: Services, actor: Actor, place: Place, reportId: number, now: Date): Reply {
  assertAdmin(actor, 'Resolving reports');
  const store = quizStore(services);
  const done = store.q('UPDATE question_reports SET resolved_at = ? WHERE id = ? AND server_key = ? AND resolved_at IS NULL').run(now.getTime(), reportId, tenantOf(actor.platform, place));
  if (done.changes === 0) return { text: 'That report is already resolved.', visibility: 'ephemeral' };
  return { ...reportsReply(services, actor, place), replaceOriginal: true };
}
