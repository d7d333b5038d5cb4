import { randomBytes } from 'node:crypto';
import { encodeAction } from '../actions.js';
import { UserError } from '../errors.js';
import type { Actor, Place, Platform, Post, Reply } from '../interaction.js';
import type { Question } from '../content/schema.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { choiceOrder, gradeAnswer, loadQuestion, loadQuestionVersion, QuestionChanged, type GivenAnswer } from './questions.js';
import { answerComponents, questionText, rightAnswerText } from './render.js';
import { award, POINTS } from './scoring.js';
import { quizStore, type QuizStore } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';

interface RaceRow {
  id: string;
  platform: string;
  serverId: string;
  channelId: string;
  questionIds: string[];
  orders: number[][];
  /** The graded version each round's order was drawn for (null: a race from before versions). */
  versions: (string | null)[];
  round: number;
  roundEndsAt: number;
  status: 'running' | 'finished';
}

const raceColumns = `id, platform, server_id serverId, channel_id channelId, question_ids questionIds, orders, round_versions versions,
  round, round_ends_at roundEndsAt, status`;

function parse(raw: Record<string, unknown> | undefined): RaceRow | undefined {
  if (!raw) return undefined;
  const questionIds = JSON.parse(raw.questionIds as string) as string[];
  const versions = raw.versions === null ? questionIds.map(() => null) : (JSON.parse(raw.versions as string) as string[]);
  return { ...(raw as unknown as RaceRow), questionIds, orders: JSON.parse(raw.orders as string), versions };
}

function getRace(store: QuizStore, id: string): RaceRow | undefined {
  return parse(store.q(`SELECT ${raceColumns} FROM races WHERE id = ?`).get(id) as Record<string, unknown> | undefined);
}

/**
 * The round's question as it is now: when it was edited after the race began, the round gets a new
 * choice order for the new version, so the buttons posted and the grading agree.
 */
function roundAsNow(store: QuizStore, race: RaceRow): Question {
  const { question: q, version } = loadQuestionVersion(store, race.questionIds[race.round]!);
  if (race.versions[race.round] === version) return q;
  race.orders[race.round] = choiceOrder(q);
  race.versions[race.round] = version;
  store.q('UPDATE races SET orders = ?, round_versions = ? WHERE id = ?').run(JSON.stringify(race.orders), JSON.stringify(race.versions), race.id);
  return q;
}

function roundReply(services: Services, race: RaceRow): Reply {
  const q = roundAsNow(quizStore(services), race);
  const seconds = services.config.RACE_ROUND_SECONDS;
  return {
    title: roundTitle(race),
    text:
      questionText(q) +
      md`\n\n_First right answer wins ${POINTS.raceWinner} points, every other right answer ${POINTS.raceCorrect}. Races score with two players or more; your first click counts. The answer is revealed in ${seconds} s._`,
    components: answerComponents(q, race.orders[race.round]!, { choice: (display, key) => encodeAction('ra', race.id, race.round, display, key) }),
    visibility: 'public',
  };
}

/** The tenant a race runs in: its questions, players' names and points belong there. */
const raceTenant = (race: RaceRow): Tenant => tenantOf(race.platform, race);

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
  const tenant = tenantOf(actor.platform, place);
  if (lessonId && !services.lessons.get(lessonId)) throw new UserError(`There is no lesson "${lessonId}".`);
  const running = store
    .q("SELECT id FROM races WHERE platform = ? AND server_id = ? AND channel_id = ? AND status = 'running'")
    .get(actor.platform, place.serverId, place.channelId);
  if (running) throw new UserError('A race is already running in this channel. Join it, or wait for it to finish.');
  const picked = lessonId ? store.stmt.raceQuestionsInLesson.all(lessonId, tenant, tenant, rounds) : store.stmt.raceQuestions.all(tenant, tenant, rounds);
  const ids = picked.map((r) => r.id);
  if (ids.length === 0) throw new UserError('There are no questions for a race yet.');
  const user = store.user(actor, tenant);
  const loaded = ids.map((id) => loadQuestionVersion(store, id));
  const race: RaceRow = {
    id: randomBytes(6).toString('base64url'),
    platform: actor.platform,
    serverId: place.serverId,
    channelId: place.channelId,
    questionIds: ids,
    orders: loaded.map((l) => choiceOrder(l.question)),
    versions: loaded.map((l) => l.version),
    round: 0,
    roundEndsAt: now.getTime() + services.config.RACE_ROUND_SECONDS * 1000,
    status: 'running',
  };
  store
    .q(
      `INSERT INTO races (id, platform, server_id, channel_id, lesson_id, question_ids, orders, round_versions, round, round_ends_at, status, started_by, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'running', ?, ?)`,
    )
    .run(race.id, race.platform, race.serverId, race.channelId, lessonId ?? null, JSON.stringify(ids), JSON.stringify(race.orders), JSON.stringify(race.versions), race.roundEndsAt, user.id, now.getTime());
  if (!(await services.outbox.send(roundPost(services, race)))) {
    store.q("UPDATE races SET status = 'finished' WHERE id = ?").run(race.id);
    throw new UserError('The race could not be posted in this channel. Invite the bot here, or start the race in a channel where it can post.');
  }
  const count = `${ids.length} round${ids.length === 1 ? '' : 's'}`;
  return { text: md`🏁 Your race is on: ${count} of ${services.config.RACE_ROUND_SECONDS} s, posted in the channel.`, visibility: 'ephemeral' };
}

/** How many people have answered in a race so far: a race scores only once two are playing. */
function playerCount(store: QuizStore, raceId: string): number {
  return (store.q('SELECT count(DISTINCT user_id) n FROM race_answers WHERE race_id = ?').get(raceId) as { n: number }).n;
}

/** Pays one right answer of a round under its unique key; false when it was paid before. */
function payRaceAnswer(store: QuizStore, race: RaceRow, round: number, userId: number, points: number, now: Date): boolean {
  const awarded = award(store, { key: `race:${race.id}:${round}:${userId}`, userId, platform: race.platform, serverId: race.serverId, channelId: race.channelId, points, reason: 'race', now });
  if (awarded) store.q('UPDATE race_answers SET points = ? WHERE race_id = ? AND round = ? AND user_id = ?').run(points, race.id, round, userId);
  return awarded;
}

/** Said to a click on a round whose question was edited while it ran: nothing is recorded. */
const RACE_QUESTION_CHANGED = 'This question was updated while the round ran, so clicks on it no longer count. The right answer is revealed when the round closes.';

type RaceClick = { kind: 'repeat' } | { kind: 'wrong' } | { kind: 'paid'; points: number } | { kind: 'pending'; points: number };

/**
 * A click on a race answer: each user's first click in a round counts. A right one is scored at
 * once when someone else plays in the race too; alone, it waits for the round's close, which pays
 * it if a second player has come by then (a solo race earns nothing, so points cannot be farmed).
 */
export async function answerRace(services: Services, actor: Actor, raceId: string, round: number, given: GivenAnswer & { kind: 'choice' }, now: Date): Promise<Reply> {
  const store = quizStore(services);
  const race = getRace(store, raceId);
  if (!race || race.status !== 'running' || race.round !== round || now.getTime() > race.roundEndsAt) {
    throw new UserError('This round is closed.');
  }
  const { question: q, version } = loadQuestionVersion(store, race.questionIds[round]!);
  const shownVersion = race.versions[round];
  let graded;
  try {
    if (shownVersion !== null && shownVersion !== undefined && shownVersion !== version) throw new QuestionChanged();
    graded = gradeAnswer(q, race.orders[round]!, given);
  } catch (err) {
    if (!(err instanceof QuestionChanged)) throw err;
    return { text: RACE_QUESTION_CHANGED, visibility: 'ephemeral' };
  }
  const display = given.display;
  const user = store.user(actor, raceTenant(race));
  const click = await store.writes.run((): RaceClick => {
    const inserted = store
      .q('INSERT INTO race_answers (race_id, round, user_id, choice, correct, answered_at, points) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING')
      .run(raceId, round, user.id, display, graded.correct ? 1 : 0, now.getTime());
    if (inserted.changes === 0) return { kind: 'repeat' };
    if (!graded.correct) return { kind: 'wrong' };
    const earlier = store
      .q('SELECT 1 FROM race_answers WHERE race_id = ? AND round = ? AND correct = 1 AND user_id != ? LIMIT 1')
      .get(raceId, round, user.id);
    const points = earlier ? POINTS.raceCorrect : POINTS.raceWinner;
    if (playerCount(store, raceId) < 2) return { kind: 'pending', points };
    return payRaceAnswer(store, race, round, user.id, points, now) ? { kind: 'paid', points } : { kind: 'repeat' };
  });
  const first = click.kind !== 'repeat' && click.kind !== 'wrong' && click.points === POINTS.raceWinner;
  switch (click.kind) {
    case 'repeat':
      return { text: 'You already answered this round; your first click counts.', visibility: 'ephemeral' };
    case 'wrong':
      return { text: 'Answer locked in. The right answer is revealed when the round closes.', visibility: 'ephemeral' };
    case 'paid':
      return { text: first ? md`✅ Right, and first! +${click.points} points.` : md`✅ Right! +${click.points} points.`, visibility: 'ephemeral' };
    case 'pending':
      return {
        text: md`✅ Right${first ? ', and first' : ''}! +${click.points} points when the round closes, if someone else has joined the race by then: races score with two players or more.`,
        visibility: 'ephemeral',
      };
  }
}

/** A race's standings: equal points go to whoever reached the score first (their last scoring answer). */
function standings(store: QuizStore, race: RaceRow): string {
  const rows = store
    .q(
      `SELECT coalesce(m.display_name, 'someone') name, sum(a.points) points FROM race_answers a LEFT JOIN members m ON m.tenant = ? AND m.user_id = a.user_id
       WHERE a.race_id = ? GROUP BY a.user_id HAVING sum(a.points) > 0
       ORDER BY points DESC, max(CASE WHEN a.points > 0 THEN a.answered_at END), min(CASE WHEN a.points > 0 THEN a.rowid END) LIMIT 10`,
    )
    .all(raceTenant(race), race.id) as { name: string; points: number }[];
  if (rows.length === 0) return md`No points yet.`;
  return rows.map((r, i) => md`${i + 1}. ${r.name} — ${r.points}`).join('\n');
}

/**
 * Closes a round once: moves the race on and pays the round's right answers that waited for a
 * second player, in one transaction (a failure leaves the round open and no cache moved).
 */
function claimRound(store: QuizStore, race: RaceRow, finished: boolean, roundSeconds: number, now: Date): { solo: boolean } | undefined {
  try {
    return store.sqlite.transaction(() => {
      // Only one closer wins this update, so a round is revealed once even with several tickers.
      const moved = store
        .q("UPDATE races SET round = ?, round_ends_at = ?, status = ? WHERE id = ? AND round = ? AND status = 'running'")
        .run(finished ? race.round : race.round + 1, now.getTime() + roundSeconds * 1000, finished ? 'finished' : 'running', race.id, race.round);
      if (moved.changes === 0) return undefined;
      if (playerCount(store, race.id) < 2) return { solo: true };
      const waiting = store
        .q('SELECT user_id userId, points FROM race_answers WHERE race_id = ? AND round = ? AND correct = 1 ORDER BY answered_at, rowid')
        .all(race.id, race.round) as { userId: number; points: number }[];
      waiting.forEach((a, i) => {
        if (a.points === 0) payRaceAnswer(store, race, race.round, a.userId, i === 0 ? POINTS.raceWinner : POINTS.raceCorrect, now);
      });
      return { solo: false };
    }).immediate();
  } catch (err) {
    store.forgetDerived();
    throw err;
  }
}

function closeRound(services: Services, race: RaceRow, now: Date): void {
  const store = quizStore(services);
  const nextRound = race.round + 1;
  const finished = nextRound >= race.questionIds.length;
  const claimed = claimRound(store, race, finished, services.config.RACE_ROUND_SECONDS, now);
  if (!claimed) return;
  const q = loadQuestion(store, race.questionIds[race.round]!);
  const answers = store
    .q(
      `SELECT coalesce(m.display_name, 'someone') name, a.points FROM race_answers a LEFT JOIN members m ON m.tenant = ? AND m.user_id = a.user_id
       WHERE a.race_id = ? AND a.round = ? AND a.correct = 1 ORDER BY a.points DESC, a.answered_at, a.rowid`,
    )
    .all(raceTenant(race), race.id, race.round) as { name: string; points: number }[];
  let text = md`${q.prompt}\nRight answer: ` + rightAnswerText(q) + '\n';
  if (answers.length === 0) text += md`Nobody got it this time.`;
  else if (claimed.solo) text += md`✅ ${answers[0]!.name} got it. No points: races score with two players or more.`;
  else {
    text += md`🥇 ${answers[0]!.name} (+${answers[0]!.points})`;
    if (answers.length > 1) text += md` · also right: ${answers.slice(1).map((a) => a.name).join(', ')} (+${POINTS.raceCorrect} each)`;
  }
  text += md`\n\n**Standings**\n` + standings(store, race);
  const title = finished ? '🏆 Race over — final standings' : `Round ${race.round + 1} of ${race.questionIds.length} — answer`;
  const reveal = racePost(race, { title, text, visibility: 'public' });
  void services.outbox.sendInOrder([closedRoundPost(race, q), reveal, ...(finished ? [] : [roundPost(services, { ...race, round: nextRound })])]);
}

/** The running rounds whose time is up: read through the races_running index, never the finished races. */
export const DUE_ROUNDS_SQL = `SELECT ${raceColumns} FROM races INDEXED BY races_running WHERE status = 'running' AND round_ends_at <= ?`;

/** Reveals every round whose time is up. Runs every second, and after the clock moves in tests. */
export function tickRaces(services: Services, now: Date): void {
  const store = quizStore(services);
  const due = (store.q(DUE_ROUNDS_SQL).all(now.getTime()) as Record<string, unknown>[]).map((r) => parse(r)!);
  for (const race of due) closeRound(services, race, now);
}

