import { randomBytes } from 'node:crypto';
import { encodeAction } from '../actions.js';
import { UserError } from '../errors.js';
import type { Actor, Place, Platform, Post, Reply } from '../interaction.js';
import type { Question } from '../content/schema.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { choiceOrder, gradeAnswer, loadQuestion } from './questions.js';
import { answerComponents, questionText, rightAnswerText } from './render.js';
import { award, POINTS } from './scoring.js';
import { quizStore, type QuizStore } from './store.js';

interface RaceRow {
  id: string;
  platform: string;
  serverId: string;
  channelId: string;
  questionIds: string[];
  orders: number[][];
  round: number;
  roundEndsAt: number;
  status: 'running' | 'finished';
}

const raceColumns = `id, platform, server_id serverId, channel_id channelId, question_ids questionIds, orders, round,
  round_ends_at roundEndsAt, status`;

function parse(raw: Record<string, unknown> | undefined): RaceRow | undefined {
  if (!raw) return undefined;
  return { ...(raw as unknown as RaceRow), questionIds: JSON.parse(raw.questionIds as string), orders: JSON.parse(raw.orders as string) };
}

function getRace(store: QuizStore, id: string): RaceRow | undefined {
  return parse(store.q(`SELECT ${raceColumns} FROM races WHERE id = ?`).get(id) as Record<string, unknown> | undefined);
}

function roundReply(services: Services, race: RaceRow): Reply {
  const q = loadQuestion(quizStore(services), race.questionIds[race.round]!);
  const seconds = services.config.RACE_ROUND_SECONDS;
  return {
    title: roundTitle(race),
    text:
      questionText(q) +
      md`\n\n_First right answer wins ${POINTS.raceWinner} points, every other right answer ${POINTS.raceCorrect}. Your first click counts. The answer is revealed in ${seconds} s._`,
    components: answerComponents(q, race.orders[race.round]!, { choice: (display) => encodeAction('ra', race.id, race.round, display) }),
    visibility: 'public',
  };
}

const roundTitle = (race: RaceRow) => `🏁 Race — round ${race.round + 1} of ${race.questionIds.length}`;

/** A message of the race, posted in its channel. */
function racePost(race: RaceRow, reply: Reply): Post {
  return { platform: race.platform as Platform, place: { serverId: race.serverId, channelId: race.channelId }, reply };
}

/** The key a round's message is posted under, so that closing the round can edit it. */
const roundKey = (race: RaceRow) => `race:${race.id}:${race.round}`;

function roundPost(services: Services, race: RaceRow): Post {
  return { ...racePost(race, roundReply(services, race)), updateKey: roundKey(race) };
}

/** The round's message once the round is closed: the question stays, its buttons go, the answer shows. */
function closedRoundPost(race: RaceRow, q: Question): Post {
  const reply: Reply = {
    title: `${roundTitle(race)} — closed`,
    text: questionText(q) + md`\n\n_Closed._ Right answer: ` + rightAnswerText(q),
    components: [],
    visibility: 'public',
  };
  return { ...racePost(race, reply), updateKey: roundKey(race), updateOnly: true };
}

/**
 * /quiz race: a public question for the whole channel, round after round. Each round is posted in
 * the channel (the starter gets a short confirmation), so that closing it can take its buttons away.
 */
export async function startRace(services: Services, actor: Actor, place: Place, rounds: number, lessonId: string | undefined, now: Date): Promise<Reply> {
  const store = quizStore(services);
  if (lessonId && !services.lessons.get(lessonId)) throw new UserError(`There is no lesson "${lessonId}".`);
  const running = store
    .q("SELECT id FROM races WHERE platform = ? AND server_id = ? AND channel_id = ? AND status = 'running'")
    .get(actor.platform, place.serverId, place.channelId);
  if (running) throw new UserError('A race is already running in this channel. Join it, or wait for it to finish.');
  const ids = (
    store
      .q(
        `SELECT id FROM questions WHERE retired_at IS NULL AND type IN ('single', 'true_false') ${lessonId ? 'AND lesson_id = ?' : ''} ORDER BY random() LIMIT ?`,
      )
      .all(...(lessonId ? [lessonId, rounds] : [rounds])) as { id: string }[]
  ).map((r) => r.id);
  if (ids.length === 0) throw new UserError('There are no questions for a race yet.');
  const user = store.user(actor);
  const race: RaceRow = {
    id: randomBytes(6).toString('base64url'),
    platform: actor.platform,
    serverId: place.serverId,
    channelId: place.channelId,
    questionIds: ids,
    orders: ids.map((id) => choiceOrder(loadQuestion(store, id))),
    round: 0,
    roundEndsAt: now.getTime() + services.config.RACE_ROUND_SECONDS * 1000,
    status: 'running',
  };
  store
    .q(
      `INSERT INTO races (id, platform, server_id, channel_id, lesson_id, question_ids, orders, round, round_ends_at, status, started_by, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 'running', ?, ?)`,
    )
    .run(race.id, race.platform, race.serverId, race.channelId, lessonId ?? null, JSON.stringify(ids), JSON.stringify(race.orders), race.roundEndsAt, user.id, now.getTime());
  if (!(await services.outbox.send(roundPost(services, race)))) {
    store.q("UPDATE races SET status = 'finished' WHERE id = ?").run(race.id);
    throw new UserError('The race could not be posted in this channel. Invite the bot here, or start the race in a channel where it can post.');
  }
  const count = `${ids.length} round${ids.length === 1 ? '' : 's'}`;
  return { text: md`🏁 Your race is on: ${count} of ${services.config.RACE_ROUND_SECONDS} s, posted in the channel.`, visibility: 'ephemeral' };
}

/** A click on a race answer: each user's first click in a round counts, scored at once. */
export async function answerRace(services: Services, actor: Actor, raceId: string, round: number, display: number, now: Date): Promise<Reply> {
  const store = quizStore(services);
  const race = getRace(store, raceId);
  if (!race || race.status !== 'running' || race.round !== round || now.getTime() > race.roundEndsAt) {
    throw new UserError('This round is closed.');
  }
  const q = loadQuestion(store, race.questionIds[round]!);
  const graded = gradeAnswer(q, race.orders[round]!, { kind: 'choice', display });
  const user = store.user(actor);
  const points = await store.writes.run(() => {
    const inserted = store
      .q('INSERT INTO race_answers (race_id, round, user_id, choice, correct, answered_at, points) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING')
      .run(raceId, round, user.id, display, graded.correct ? 1 : 0, now.getTime());
    if (inserted.changes === 0) return undefined;
    if (!graded.correct) return 0;
    const earlier = store
      .q('SELECT 1 FROM race_answers WHERE race_id = ? AND round = ? AND correct = 1 AND user_id != ? LIMIT 1')
      .get(raceId, round, user.id);
    const pts = earlier ? POINTS.raceCorrect : POINTS.raceWinner;
    const awarded = award(store, { key: `race:${raceId}:${round}:${user.id}`, userId: user.id, platform: race.platform, serverId: race.serverId, channelId: race.channelId, points: pts, reason: 'race', now });
    if (!awarded) return 0;
    store.q('UPDATE race_answers SET points = ? WHERE race_id = ? AND round = ? AND user_id = ?').run(pts, raceId, round, user.id);
    return pts;
  });
  if (points === undefined) return { text: 'You already answered this round; your first click counts.', visibility: 'ephemeral' };
  if (points === POINTS.raceWinner) return { text: md`✅ Right, and first! +${points} points.`, visibility: 'ephemeral' };
  if (points > 0) return { text: md`✅ Right! +${points} points.`, visibility: 'ephemeral' };
  return { text: 'Answer locked in. The right answer is revealed when the round closes.', visibility: 'ephemeral' };
}

function standings(store: QuizStore, raceId: string): string {
  const rows = store
    .q(
      `SELECT u.display_name name, sum(a.points) points FROM race_answers a JOIN users u ON u.id = a.user_id
       WHERE a.race_id = ? GROUP BY a.user_id HAVING sum(a.points) > 0 ORDER BY points DESC, min(a.answered_at) LIMIT 10`,
    )
    .all(raceId) as { name: string; points: number }[];
  if (rows.length === 0) return md`No points yet.`;
  return rows.map((r, i) => md`${i + 1}. ${r.name} — ${r.points}`).join('\n');
}

function closeRound(services: Services, race: RaceRow, now: Date): void {
  const store = quizStore(services);
  const nextRound = race.round + 1;
  const finished = nextRound >= race.questionIds.length;
  // Only one closer wins this update, so a round is revealed once even with several tickers.
  const moved = store
    .q("UPDATE races SET round = ?, round_ends_at = ?, status = ? WHERE id = ? AND round = ? AND status = 'running'")
    .run(finished ? race.round : nextRound, now.getTime() + services.config.RACE_ROUND_SECONDS * 1000, finished ? 'finished' : 'running', race.id, race.round);
  if (moved.changes === 0) return;
  const q = loadQuestion(store, race.questionIds[race.round]!);
  const answers = store
    .q(
      `SELECT u.display_name name, a.points FROM race_answers a JOIN users u ON u.id = a.user_id
       WHERE a.race_id = ? AND a.round = ? AND a.correct = 1 ORDER BY a.points DESC, a.answered_at, a.rowid`,
    )
    .all(race.id, race.round) as { name: string; points: number }[];
  let text = md`${q.prompt}\nRight answer: ` + rightAnswerText(q) + '\n';
  if (answers.length === 0) text += md`Nobody got it this time.`;
  else {
    text += md`🥇 ${answers[0]!.name} (+${answers[0]!.points})`;
    if (answers.length > 1) text += md` · also right: ${answers.slice(1).map((a) => a.name).join(', ')} (+${POINTS.raceCorrect} each)`;
  }
  text += md`\n\n**Standings**\n` + standings(store, race.id);
  const title = finished ? '🏆 Race over — final standings' : `Round ${race.round + 1} of ${race.questionIds.length} — answer`;
  const reveal = racePost(race, { title, text, visibility: 'public' });
  void services.outbox.sendInOrder([closedRoundPost(race, q), reveal, ...(finished ? [] : [roundPost(services, { ...race, round: nextRound })])]);
}

/** Reveals every round whose time is up. Runs every second, and after the clock moves in tests. */
export function tickRaces(services: Services, now: Date): void {
  const store = quizStore(services);
  const due = (store.q(`SELECT ${raceColumns} FROM races WHERE status = 'running' AND round_ends_at <= ?`).all(now.getTime()) as Record<string, unknown>[]).map((r) => parse(r)!);
  for (const race of due) closeRound(services, race, now);
}

