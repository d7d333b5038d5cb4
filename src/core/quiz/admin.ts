import { encodeAction } from '../actions.js';
import { UserError } from '../errors.js';
import type { Actor, Button, Place, Platform, Reply } from '../interaction.js';
import { typedCommand } from '../catalogue.js';
import { md } from '../markup.js';
import { assertAdmin } from '../permissions.js';
import type { Services } from '../services.js';
import { altText, percent, truncate } from '../util/text.js';
import { readBoard } from './leaderboard.js';
import { quizStore } from './store.js';
import { renderAnalysisChart } from './analysis-chart.js';
import { analyseQuestions, FLAG_ORDER, flagWords, QUESTION_FLAGS, SORT_LABELS, sortQuestions, STATS_SORTS, type QuestionFigures, type StatsSort } from './question-analysis.js';
import { tenantOf } from '../tenant.js';

/** A question as admins know it: the id its bank's file gives it, with the bank when that id is not unique. */
const SHOWN_ID = "CASE WHEN q.local_id IS NOT NULL AND q.local_id != q.id THEN q.local_id || ' in ' || q.bank_id ELSE q.id END";

export { QUESTION_FLAGS };

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

/** Questions per page of /quiz-admin stats: ten keep a page within Discord's 4096 characters and the chart readable. */
export const STATS_PAGE_SIZE = 10;

export interface StatsOptions {
  page?: number;
  sort?: StatsSort;
  flagged?: boolean;
}

/** How a figure reads in chat: 0.31 → "+0.31", null → "n/a". */
export const formatDiscrimination = (d: number | null) => (d === null ? 'n/a' : (d >= 0 ? '+' : '−') + Math.abs(d).toFixed(2));

/** The wrong choices learners picked (most picked first) and the "I don't know"s, in one short line. */
function wrongPicks(f: QuestionFigures): string {
  const parts = (f.choices ?? [])
    .filter((c) => !c.right && c.picked > 0)
    .sort((a, b) => b.picked - a.picked)
    .map((c) => md`"${truncate(c.choice, 32)}" ${c.picked}`);
  if (f.unknown) parts.push(md`I don't know ${f.unknown}`);
  if (!parts.length) return '';
  let line = md`   wrong picks: `;
  let shown = 0;
  for (const p of parts) {
    if (shown && line.length + p.length > 110) break;
    line += (shown ? ' · ' : '') + p;
    shown++;
  }
  if (shown < parts.length) line += md` · ${parts.length - shown} more`;
  return line;
}

function statsLine(f: QuestionFigures): string {
  const flags = f.flags.length ? md` · ⚠️ ${flagWords(f).join(', ')}` : '';
  const head = md`\`${truncate(f.shownId, 60)}\` **${percent(f.facility)}** right of ${f.attempts} · discrimination ${formatDiscrimination(f.discrimination)}` + flags;
  const lines = [head, md`   ${truncate(f.prompt, 70)}`];
  const picks = wrongPicks(f);
  if (picks) lines.push(picks);
  return lines.join('\n');
}

/** The command that shows a page with these options, as typed on the actor's platform. */
function statsCommand(platform: Platform, options: StatsOptions): string {
  const parts = [typedCommand('quiz-admin stats', platform)];
  if (options.page && options.page > 1) parts.push(`page:${options.page}`);
  if (options.sort && options.sort !== 'attempts') parts.push(`sort:${options.sort}`);
  if (options.flagged) parts.push('flagged:yes');
  return parts.join(' ');
}

/**
 * /quiz-admin stats: the item analysis of the questions this tenant sees, over the answers given in
 * this tenant (see question-analysis.ts for which answers count). Sorted by `sort`, only the
 * flagged ones with `flagged`, a page at a time; the flagged view comes with a chart. Every page
 * says which part it shows and how to see the rest.
 */
export async function questionStats(services: Services, actor: Actor, place: Place, options: StatsOptions = {}): Promise<Reply> {
  const store = quizStore(services);
  const page = options.page ?? 1;
  const sort = options.sort ?? 'attempts';
  const flaggedOnly = options.flagged === true;
  const analysis = analyseQuestions(store, tenantOf(actor.platform, place));
  const all = analysis.questions;
  if (all.length === 0) return { text: 'No scored answers yet: questions show here once learners answer them in a quiz or a race (practice and review rounds are not counted).', visibility: 'ephemeral' };
  const flagged = all.filter((f) => f.flags.length > 0);
  const list = sortQuestions(flaggedOnly ? flagged : all, sort);
  const counts = FLAG_ORDER.map((flag) => [flag, all.filter((f) => f.flags.includes(flag)).length] as const).filter(([, n]) => n > 0);
  const summary =
    md`${all.length} question${all.length === 1 ? '' : 's'} answered by ${analysis.learners} learner${analysis.learners === 1 ? '' : 's'}; ${flagged.length} flagged` +
    (counts.length ? md` (${counts.map(([flag, n]) => `${flag} ${n}`).join(', ')})` : '') +
    md`. Flags need ${QUESTION_FLAGS.minAttempts} learners: too easy ≥ ${QUESTION_FLAGS.tooEasy * 100}% right, too hard ≤ ${QUESTION_FLAGS.tooHard * 100}%, dubious when discrimination is below 0 or a wrong choice is picked more than the right one.`;
  if (list.length === 0) {
    return { title: 'Flagged questions', text: md`No question is flagged.\n\n` + summary + md`\nSee them all with \`${statsCommand(actor.platform, { sort })}\`.`, visibility: 'ephemeral' };
  }
  const pages = Math.ceil(list.length / STATS_PAGE_SIZE);
  const what = flaggedOnly ? 'flagged questions' : 'question stats';
  if (page > pages) throw new UserError(`There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of ${what}.`);
  const first = (page - 1) * STATS_PAGE_SIZE;
  const shown = list.slice(first, first + STATS_PAGE_SIZE);
  const noun = flaggedOnly ? 'flagged questions' : 'questions';
  // Never cut short silently: which part this is, and how to see the rest.
  let part = md`Showing ${noun} ${first + 1}–${first + shown.length} of ${list.length}, ${SORT_LABELS[sort]}.`;
  if (page < pages) {
    part += md` Next ${Math.min(STATS_PAGE_SIZE, list.length - first - shown.length)}: \`${statsCommand(actor.platform, { page: page + 1, sort, flagged: flaggedOnly })}\`.`;
  } else if (pages > 1) part += md` This is the last page.`;
  if (page > 1) part += md` Back to the first: \`${statsCommand(actor.platform, { sort, flagged: flaggedOnly })}\`.`;
  const other = flaggedOnly
    ? md` All questions: \`${statsCommand(actor.platform, { sort })}\`.`
    : flagged.length
      ? md` Flagged only, with a chart: \`${statsCommand(actor.platform, { sort: 'flag', flagged: true })}\`.`
      : '';
  const sorts = md` Sort with sort: ${STATS_SORTS.join(', ')}.`;
  const reading = md`_Share right: each learner's first scored answer (quizzes and scored races; practice and review rounds left out). Discrimination: point-biserial r with the learner's share right on the other questions (n/a without both right and wrong answers)._`;
  const title = flaggedOnly ? (pages === 1 ? 'Flagged questions' : `Flagged questions — page ${page} of ${pages}`) : pages === 1 ? 'Question stats' : `Question stats — page ${page} of ${pages}`;
  const reply: Reply = {
    title,
    text: shown.map(statsLine).join('\n') + '\n\n' + summary + '\n' + part + other + sorts + '\n' + reading,
    visibility: 'ephemeral',
  };
  if (flaggedOnly) {
    reply.image = {
      filename: 'flagged-questions.png',
      png: await renderAnalysisChart(shown, `${first + 1}–${first + shown.length} of ${list.length} flagged, ${SORT_LABELS[sort]}`),
      alt: altText(`Bar chart of share right and discrimination for flagged questions ${shown.map((f) => `${f.shownId} ${percent(f.facility)} ${formatDiscrimination(f.discrimination)}`).join(', ')}`),
    };
  }
  return reply;
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
