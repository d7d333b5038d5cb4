import { randomBytes } from 'node:crypto';
import { encodeAction } from '../actions.js';
import { whyButton } from '../ask/commands.js';
import { UserError } from '../errors.js';
import type { Actor, Button, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { normalizeText } from '../util/text.js';
import { formatDay } from '../util/time.js';
import { choicesOf, type Question } from '../content/schema.js';
import { choiceOrder, gradeAnswer, loadQuestion, loadQuestionVersion, QuestionChanged, type GivenAnswer, type Graded } from './questions.js';
import { answerComponents, feedbackButtons, feedbackText, questionText } from './render.js';
import { award, currentStreak, learnerToday, POINTS, touchStreak } from './scoring.js';
import { grade } from './srs.js';
import { learnerScheduling } from '../srs/parameters.js';
import { quizStore, type QuizStore, type SessionRow, type UserRow } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';

export type QuizMode = Exclude<SessionRow['mode'], 'lesson-practice' | 'bank-practice'>;

/** A practice round (nothing due in the lesson or bank): asked again for practice, scoring nothing. */
const isPractice = (mode: SessionRow['mode']) => mode === 'lesson-practice' || mode === 'bank-practice';

const newSessionId = () => randomBytes(6).toString('base64url');

/** A planning query's rows: a question and its prompt key. */
interface Candidate {
  id: string;
  promptKey: string | null;
}

/**
 * The first `want` candidates whose prompts are not in `seen`, adding theirs: two banks may hold
 * the same question, and a quiz asks each prompt once. `rows(limit)` runs the query; it is asked
 * for a few more than wanted, and for more again only when duplicates ate into them.
 */
function distinctPrompts(store: QuizStore, rows: (limit: number) => Candidate[], want: number, seen: Set<string>): string[] {
  if (want <= 0) return [];
  for (let limit = want + 5; ; limit *= 4) {
    const got = rows(limit);
    const picked: string[] = [];
    const keys = new Set(seen);
    for (const r of got) {
      // Rows written by hand in SQL have no key yet: their prompt says the same.
      const key = r.promptKey ?? normalizeText(loadQuestion(store, r.id).prompt);
      if (key && keys.has(key)) continue;
      if (key) keys.add(key);
      picked.push(r.id);
      if (picked.length === want) break;
    }
    if (picked.length === want || got.length < limit) {
      for (const k of keys) seen.add(k);
      return picked;
    }
  }
}

function plan(store: QuizStore, user: UserRow, tenant: Tenant, mode: QuizMode, lessonId: string | undefined, now: Date): { queue: string[]; practice: boolean } {
  const { config } = store.services;
  const max = config.QUIZ_MAX_CARDS;
  const tz = store.timezoneOf(user);
  const day = learnerToday(store, now, tz);
  const dayStart = day.start;
  // A day's reviews stop at the user's cap (or MAX_REVIEWS_PER_DAY); the rest stay due for later days.
  const reviewsLeft = Math.max(0, (store.stmt.reviewCap.get(user.id)?.cap ?? config.MAX_REVIEWS_PER_DAY) - store.stmt.reviewedSince.get(user.id, dayStart)!.n);
  const dueWant = Math.min(max, reviewsLeft);
  const dueQuery = (limit: number) => ({ userId: user.id, dayEnd: day.end, tenant, limit });
  const seen = new Set<string>();
  const pick = (rows: (limit: number) => Candidate[], want: number) => distinctPrompts(store, rows, want, seen);
  if (mode === 'review') {
    const missed = store.stmt.missedSince.all(user.id, dayStart, tenant).map((r) => ({ id: r.questionId, promptKey: r.promptKey }));
    return { queue: pick((limit) => missed.slice(0, limit), max), practice: false };
  }
  if (mode === 'lesson') {
    const due = pick((limit) => store.stmt.dueCardsInLesson.all({ ...dueQuery(limit), lessonId: lessonId! }).map((r) => ({ id: r.questionId, promptKey: r.promptKey })), dueWant);
    const fresh = pick((limit) => store.stmt.newQuestionsInLesson.all(lessonId!, user.id, tenant, limit), max - due.length);
    const queue = [...due, ...fresh];
    // Everything in the lesson is scheduled for later (or today's reviews are used up): practise it anyway (no points).
    return queue.length ? { queue, practice: false } : { queue: pick((limit) => store.stmt.lessonQuestions.all(lessonId!, tenant, limit), max), practice: true };
  }
  if (mode === 'bank') {
    // One bank, like a lesson: the session's lessonId holds the bank's id.
    const bankId = lessonId!;
    const due = pick((limit) => store.stmt.dueCardsInBank.all({ ...dueQuery(limit), bankId }).map((r) => ({ id: r.questionId, promptKey: r.promptKey })), dueWant);
    const fresh = pick((limit) => store.stmt.newQuestionsInBank.all(bankId, user.id, tenant, limit), max - due.length);
    const queue = [...due, ...fresh];
    return queue.length ? { queue, practice: false } : { queue: pick((limit) => store.stmt.bankQuestions.all(bankId, tenant, limit), max), practice: true };
  }
  const due = pick((limit) => store.stmt.dueCards.all(dueQuery(limit)).map((r) => ({ id: r.questionId, promptKey: r.promptKey })), dueWant);
  const introduced = store.stmt.introducedSince.get(user.id, dayStart)!.n;
  const room = Math.max(0, Math.min(config.NEW_CARDS_PER_DAY - introduced, max - due.length));
  const fresh = pick((limit) => store.stmt.newQuestions.all(user.id, tenant, tenant, limit), room);
  return { queue: [...due, ...fresh], practice: false };
}

/** The tenant a quiz session was started in: its questions and points belong there. */
const sessionTenant = (actor: Actor, session: SessionRow) => tenantOf(actor.platform, session);

/** The session and its user, or why the actor may not use it. */
function findOwnedSession(store: QuizStore, actor: Actor, sessionId: string): { session: SessionRow; user: UserRow } | string {
  const session = store.session(sessionId);
  if (!session) return 'This quiz is no longer available. Start a new one with /quiz.';
  const tenant = sessionTenant(actor, session);
  const user = store.user(actor, tenant);
  if (session.userId !== user.id) {
    return `This quiz belongs to ${store.memberName(tenant, session.userId)}. Start your own with /quiz.`;
  }
  return { session, user };
}

function ownedSession(store: QuizStore, actor: Actor, sessionId: string): { session: SessionRow; user: UserRow } {
  const owned = findOwnedSession(store, actor, sessionId);
  if (typeof owned === 'string') throw new UserError(owned);
  return owned;
}

function modeLabel(session: SessionRow, services: Services): string {
  if (session.mode === 'review') return "Today's misses";
  if (session.mode === 'lesson' || session.mode === 'lesson-practice') return services.lessons.get(session.lessonId ?? '')?.title ?? 'Lesson quiz';
  if (session.mode === 'bank' || session.mode === 'bank-practice') return visibleBank(quizStore(services), session.lessonId ?? '', null)?.title ?? 'Bank quiz';
  return "Today's quiz";
}

/**
 * The session as it shows its current question now: when the question was edited since its choice
 * order was drawn (or, for a session from before versions, its choices no longer fit), a new order
 * for the new version, so what is shown and what a click is graded against are the same.
 */
function shownAsNow(store: QuizStore, session: SessionRow): { session: SessionRow; q: Question } {
  const { question: q, version } = loadQuestionVersion(store, session.questionIds[session.position]!);
  if (session.finishedAt !== null || session.version === version) return { session, q };
  if (session.version === null && session.order.length === choicesOf(q).length) return { session, q };
  return { session: store.reshowSession(session, choiceOrder(q), version), q };
}

/** The question at the session's position, with its answer controls. */
export function questionReply(services: Services, shown: SessionRow, note?: string): Reply {
  const { session, q } = shownAsNow(quizStore(services), shown);
  const { id, position } = session;
  return {
    title: isPractice(session.mode)
      ? `Practice — ${modeLabel(session, services)} — question ${position + 1} of ${session.questionIds.length} (no points)`
      : `${modeLabel(session, services)} — question ${position + 1} of ${session.questionIds.length}`,
    text: (note ? md`_${note}_\n\n` : '') + questionText(q),
    components: answerComponents(q, session.order, {
      choice: (display, key) => encodeAction('qa', id, position, display, key),
      text: encodeAction('qt', id, position),
      multi: encodeAction('qm', id, position),
      unknown: encodeAction('qa', id, position, 'x'),
    }),
    visibility: 'ephemeral',
  };
}

function summaryReply(services: Services, session: SessionRow, user: UserRow, tenant: Tenant, now: Date): Reply {
  const store = quizStore(services);
  const tz = store.timezoneOf(user);
  const streak = currentStreak(store, user.id, now, tz);
  const next = nextReview(store, user, tenant, now);
  const total = session.questionIds.length;
  let text = md`You got **${session.correct} of ${total}** right`;
  text += session.points ? md` and earned **${session.points} points**.` : '.';
  text += md`\n🔥 Streak: ${streak.current} day${streak.current === 1 ? '' : 's'} (best ${streak.best}).`;
  if (next) text += md`\nNext review: ${next} (${tz}).`;
  const buttons: Button[] = [];
  if (session.missed.length && session.mode !== 'review') {
    buttons.push({ kind: 'button', label: `Review my ${session.missed.length} miss${session.missed.length === 1 ? '' : 'es'}`, actionId: encodeAction('qrv'), style: 'primary' });
  }
  return { title: 'Quiz complete', text, components: buttons.length ? [buttons] : [], visibility: 'ephemeral', replaceOriginal: true };
}

/**
 * The day of a user's next review: "today", "tomorrow" or "Wed 25 Nov". Cards due today that the
 * daily cap holds back come tomorrow.
 */
export function nextReview(store: QuizStore, user: UserRow, tenant: Tenant, now: Date): string | undefined {
  const due = store.stmt.nextDue.get(user.id, tenant)?.due;
  if (due === undefined || due === null) return undefined;
  const tz = store.timezoneOf(user);
  const { config } = store.services;
  const day = learnerToday(store, now, tz);
  if (due < day.end) {
    const cap = store.stmt.reviewCap.get(user.id)?.cap ?? config.MAX_REVIEWS_PER_DAY;
    if (store.stmt.reviewedSince.get(user.id, day.start)!.n >= cap) return 'tomorrow';
  }
  return formatDay(new Date(due), now, tz, config.DAY_STARTS_AT_HOUR);
}

function caughtUp(store: QuizStore, user: UserRow, tenant: Tenant, mode: QuizMode, now: Date): Reply {
  if (mode === 'review') return { text: 'You have no misses to review today. Nice work!', visibility: 'ephemeral' };
  const next = nextReview(store, user, tenant, now);
  const when = next ? md` Your next review is ${next === 'today' || next === 'tomorrow' ? next : `on ${next}`}.` : '';
  return { text: md`You're all caught up for today!` + when + md` Come back tomorrow for new questions, or study a lesson with \`/quiz lesson:<id>\`.`, visibility: 'ephemeral' };
}

/** A bank the tenant sees (global, or its own), not retired; null tenant: any owner (a label). */
function visibleBank(store: QuizStore, bankId: string, tenant: Tenant | null): { title: string } | undefined {
  return store
    .q<[string, Tenant | null, Tenant | null], { title: string }>('SELECT title FROM banks WHERE id = ? AND retired_at IS NULL AND (? IS NULL OR tenant IS NULL OR tenant = ?)')
    .get(bankId, tenant, tenant);
}

/**
 * /quiz, /quiz lesson:<id>, /quiz bank:<id>, /quiz review: resume today's open quiz of that kind,
 * or plan a new one. `lessonId` is the lesson of a lesson quiz and the bank of a bank quiz.
 */
export function startQuiz(services: Services, actor: Actor, place: Place, mode: QuizMode, lessonId: string | undefined, now: Date): Reply {
  const store = quizStore(services);
  const tenant = tenantOf(actor.platform, place);
  if (mode === 'bank') {
    // Another server's bank is not named to this one: it does not exist here.
    if (!lessonId || !visibleBank(store, lessonId, tenant)) throw new UserError(`There is no bank "${lessonId ?? ''}" in this server.`);
  } else if (lessonId && !services.lessons.get(lessonId)) {
    throw new UserError(`There is no lesson "${lessonId}". Lessons: ${services.lessons.all().map((l) => l.id).join(', ')}.`);
  }
  const user = store.user(actor, tenant);
  const tz = store.timezoneOf(user);
  const today = learnerToday(store, now, tz).key;
  const open = store.openSession(user.id);
  if (open) {
    // A quiz started in another server stays there: its questions may be that server's own.
    if ((open.mode === mode || open.mode === `${mode}-practice`) && open.lessonId === (lessonId ?? null) && open.localDay === today && open.serverId === place.serverId) {
      return questionReply(services, open, 'Picking up where you left off.');
    }
    store.closeSession(open.id, now.getTime());
  }
  const { queue, practice } = plan(store, user, tenant, mode, lessonId, now);
  if (queue.length === 0) return caughtUp(store, user, tenant, mode, now);
  const first = loadQuestionVersion(store, queue[0]!);
  const session: SessionRow = {
    id: newSessionId(),
    userId: user.id,
    serverId: place.serverId,
    channelId: place.channelId,
    mode: practice && (mode === 'lesson' || mode === 'bank') ? `${mode}-practice` : mode,
    lessonId: lessonId ?? null,
    questionIds: queue,
    position: 0,
    order: choiceOrder(first.question),
    version: first.version,
    correct: 0,
    points: 0,
    missed: [],
    startedAt: now.getTime(),
    finishedAt: null,
    localDay: today,
  };
  store.insertSession(session);
  return questionReply(services, session);
}

/** Said when an answer meant a version of the question that has since been edited. */
export const QUESTION_CHANGED = 'This question was updated after it was shown to you, so that answer was not counted. Here it is as it is now.';

type AnswerOutcome =
  | { kind: 'refused'; message: string }
  | { kind: 'stale'; session: SessionRow; answered: boolean }
  | { kind: 'changed'; session: SessionRow }
  | { kind: 'graded'; q: Question; correct: boolean; unknown: boolean; given: string; points: number; last: boolean };

/**
 * Grades one answer of a personal quiz, once. The session is read inside the grouped write, where
 * no other write can interleave, so its position is the gate: a double click or a retried delivery
 * finds the question already answered. The session_answers key and the advance's WHERE hold the
 * same line in the database: should either disagree with the session read, the write fails and
 * the group runs again on what the tables hold. Right or wrong updates the card's FSRS schedule
 * when it was due (or new); a right answer to a due card scores, under a unique award key. Reads
 * inside an open transaction also skip the per-statement lock round trip. A refusal is returned,
 * not thrown: a throw inside a grouped write rolls the whole group back.
 */
export async function answerQuestion(services: Services, actor: Actor, interactionId: string, sessionId: string, position: number, given: GivenAnswer, now: Date): Promise<Reply> {
  const store = quizStore(services);
  const outcome = await store.writes.run((): AnswerOutcome => {
    const owned = findOwnedSession(store, actor, sessionId);
    if (typeof owned === 'string') return { kind: 'refused', message: owned };
    const { session, user } = owned;
    if (position !== session.position || session.finishedAt !== null) {
      return { kind: 'stale', session, answered: position < session.position };
    }
    const questionId = session.questionIds[position]!;
    const nextPosition = position + 1;
    const last = nextPosition >= session.questionIds.length;
    let q: Question, graded: Graded, next: { order: number[]; version: string | null };
    try {
      const current = loadQuestionVersion(store, questionId);
      q = current.question;
      // Edited since it was shown: the answer meant the old version. Not graded; the new one is shown.
      if (session.version !== null && session.version !== current.version) {
        return { kind: 'changed', session: store.reshowSession(session, choiceOrder(q), current.version) };
      }
      try {
        graded = gradeAnswer(q, session.order, given);
      } catch (err) {
        if (!(err instanceof QuestionChanged)) throw err;
        return { kind: 'changed', session: store.reshowSession(session, choiceOrder(q), current.version) };
      }
      const following = last ? undefined : loadQuestionVersion(store, session.questionIds[nextPosition]!);
      next = following ? { order: choiceOrder(following.question), version: following.version } : { order: [], version: null };
    } catch (err) {
      if (err instanceof UserError) return { kind: 'refused', message: err.message };
      throw err;
    }
    const tz = store.timezoneOf(user);
    const nowMs = now.getTime();
    const card = store.stmt.card.get(user.id, questionId);
    const day = learnerToday(store, now, tz);
    // Due on the learner's day, as the quiz planned it; a practice round schedules and scores nothing.
    const wasDue = !isPractice(session.mode) && (!card || card.due < day.end);
    let points = 0;
    if (wasDue) {
      store.stmt.upsertCard.run(grade(card, user.id, questionId, graded.correct, now, learnerScheduling(store, user.id, sessionTenant(actor, session))).card);
      const key = `card:${user.id}:${questionId}:${card ? card.due : 'new'}`;
      if (graded.correct && award(store, { key, userId: user.id, platform: actor.platform, serverId: session.serverId, channelId: session.channelId, points: POINTS.dueCard, reason: 'quiz', now })) {
        points = POINTS.dueCard;
      }
    }
    store.stmt.insertReview.run({
      userId: user.id,
      questionId,
      rating: graded.correct ? 3 : 1,
      correct: graded.correct ? 1 : 0,
      wasDue: wasDue ? 1 : 0,
      wasNew: card ? 0 : 1,
      answeredAt: nowMs,
      localDay: day.key,
    });
    touchStreak(store, user.id, now, tz);
    store.advanceSession(session, {
      ...next,
      correct: graded.correct,
      points,
      missed: graded.correct ? session.missed : [...session.missed, questionId],
      finishedAt: last ? nowMs : null,
    });
    const recorded = store.stmt.insertAnswer.run({
      sessionId,
      position,
      questionId,
      answer: graded.given,
      correct: graded.correct ? 1 : 0,
      points,
      interactionId,
      answeredAt: nowMs,
    });
    if (recorded.changes === 0) throw new Error(`answer ${sessionId}:${position} was already recorded`);
    return { kind: 'graded', q, correct: graded.correct, unknown: graded.unknown === true, given: graded.given, points, last };
  });

  if (outcome.kind === 'refused') throw new UserError(outcome.message);
  if (outcome.kind === 'changed') {
    return { ...questionReply(services, outcome.session, QUESTION_CHANGED), replaceOriginal: true };
  }
  if (outcome.kind === 'stale') {
    if (outcome.answered) {
      return { text: 'You already answered that question; your first answer counts.', visibility: 'ephemeral', components: [[nextButton(sessionId)]] };
    }
    if (outcome.session.finishedAt !== null) throw new UserError('This quiz has ended. Start a new one with /quiz.');
    return questionReply(services, outcome.session, 'That question is no longer current.');
  }
  const { q, correct } = outcome;
  const buttons: Button[] = [nextButton(sessionId, outcome.last)];
  if (!correct) buttons.push(whyButton(q.id));
  return {
    ...feedbackText(services, q, correct, outcome.given, outcome.points, outcome.unknown),
    components: [buttons, feedbackButtons(services, q)],
    visibility: 'ephemeral',
    replaceOriginal: true,
  };
}

function nextButton(sessionId: string, last = false): Button {
  return { kind: 'button', label: last ? 'See my results' : 'Next ▶', actionId: encodeAction('qn', sessionId), style: 'primary' };
}

/** The Next button: the current question, or the summary when the quiz is done. */
export function nextQuestion(services: Services, actor: Actor, sessionId: string, now: Date): Reply {
  const store = quizStore(services);
  const { session, user } = ownedSession(store, actor, sessionId);
  if (session.finishedAt !== null || session.position >= session.questionIds.length) return summaryReply(services, session, user, sessionTenant(actor, session), now);
  return { ...questionReply(services, session), replaceOriginal: true };
}
