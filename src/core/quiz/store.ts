import type Database from 'better-sqlite3';
import { GroupCommit } from '../../db/group-commit.js';
import { BoardIndex, type Standing } from './board-index.js';
import { LruMap } from '../util/lru-map.js';
import type { Actor } from '../interaction.js';
import { perServices, type Services } from '../services.js';
import type { Tenant } from '../tenant.js';

/**
 * Prepared statements for the quiz's hot paths (answering, picking due cards, leaderboards). They
 * run on the tables drizzle declares in src/db/schema.ts; plain prepared SQL keeps one answer to
 * a handful of index lookups without rebuilding queries per call.
 */

export interface UserRow {
  id: number;
  platform: string;
  externalId: string;
  displayName: string;
  timezone: string | null;
}

export interface CardRow {
  userId: number;
  questionId: string;
  due: number;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  learningSteps: number;
  reps: number;
  lapses: number;
  state: number;
  lastReview: number | null;
}

export interface SessionRow {
  id: string;
  userId: number;
  serverId: string;
  channelId: string;
  /** A lesson's or bank's quiz with nothing due falls back to practice: its `-practice` mode scores nothing. */
  mode: 'daily' | 'lesson' | 'bank' | 'review' | 'lesson-practice' | 'bank-practice';
  /** The lesson of a lesson quiz, or the bank of a bank quiz (one column: what the quiz is about). */
  lessonId: string | null;
  questionIds: string[];
  position: number;
  order: number[];
  /** The graded version of the current question that `order` was drawn for (null: a session from before versions). */
  version: string | null;
  correct: number;
  points: number;
  missed: string[];
  startedAt: number;
  finishedAt: number | null;
  localDay: string;
}

interface RawSession extends Omit<SessionRow, 'questionIds' | 'order' | 'missed'> {
  questionIds: string;
  order: string;
  missed: string;
}

const sessionColumns = `id, user_id userId, server_id serverId, channel_id channelId, mode, lesson_id lessonId,
  question_ids questionIds, position, choice_order "order", choice_version version, correct, points, missed, started_at startedAt,
  finished_at finishedAt, local_day localDay`;

const cardColumns = `user_id userId, question_id questionId, due, stability, difficulty, elapsed_days elapsedDays,
  scheduled_days scheduledDays, learning_steps learningSteps, reps, lapses, state, last_review lastReview`;

/** Questions a tenant may see: global ones (content, the operator's imports) and its own imports. */
export const VISIBLE = '(q.tenant IS NULL OR q.tenant = ?)';
/** Banks the tenant turned off (a bank without a row is on); one small list, looked up once per query. */
const DISABLED = '(SELECT tb.bank_id FROM tenant_banks tb WHERE tb.tenant = ? AND tb.enabled = 0)';
/** One group per prompt: its key, or the question itself where it has none (the prefixes keep them apart). */
export const PROMPT = "coalesce('p' || nullif(q.prompt_key, ''), 'i' || q.id)";
/** VISIBLE for statements with named parameters. */
const VISIBLE_AT = '(q.tenant IS NULL OR q.tenant = @tenant)';
/** Overdue at the day's end in intervals: a week late on a two-day card before a week late on a year's. */
const MOST_OVERDUE = '(@dayEnd - c.due) * 1.0 / max(c.scheduled_days, 1) DESC, c.due';

/** A user's due cards on their day. */
export interface DueQuery {
  userId: number;
  /** The end of the learner's current day (epoch ms). */
  dayEnd: number;
  tenant: Tenant;
  limit: number;
}

export class QuizStore {
  readonly sqlite: Database.Database;
  // Derived from rows: bounded, and cleared whenever a grouped write rolls back (see GroupCommit).
  private users = new LruMap<string, UserRow>(50_000);
  private memberNames = new LruMap<string, string>(50_000);
  private seasons = new LruMap<string, number>(10_000);

  readonly stmt;

  constructor(readonly services: Services) {
    const db = (this.sqlite = services.db.$client);
    this.boards = new BoardIndex((scope, period) =>
      this.q<[string, string], Standing>('SELECT user_id userId, points, reached_at reachedAt FROM scores WHERE scope = ? AND period = ?').iterate(scope, period),
    );
    // A rolled-back write may have moved a board or a session in memory, or cached a user, a
    // name or a season whose row is gone (its id may be handed out again): read them all again.
    this.writes = new GroupCommit(db, () => this.forgetDerived());
    // Writes to quiz_sessions stay private: they go through the methods that keep the cache.
    this.sessionWrites = {
      insert: db.prepare(
        `INSERT INTO quiz_sessions (id, user_id, server_id, channel_id, mode, lesson_id, question_ids, position, choice_order, choice_version, correct, points, missed, started_at, local_day)
         VALUES (@id, @userId, @serverId, @channelId, @mode, @lessonId, @questionIds, 0, @order, @version, 0, 0, '[]', @startedAt, @localDay)`,
      ),
      advance: db.prepare(
        `UPDATE quiz_sessions SET position = @position, choice_order = @order, choice_version = @version, correct = correct + @correct,
           points = points + @points, missed = @missed, finished_at = @finishedAt WHERE id = @id AND position = @from`,
      ),
      close: db.prepare<[number, string]>('UPDATE quiz_sessions SET finished_at = ? WHERE id = ? AND finished_at IS NULL'),
      reshow: db.prepare<[string, string, string, number]>('UPDATE quiz_sessions SET choice_order = ?, choice_version = ? WHERE id = ? AND position = ?'),
    };
    this.stmt = {
      upsertUser: db.prepare<[string, string, string], UserRow>(
        `INSERT INTO users (platform, external_id, display_name) VALUES (?, ?, ?)
         ON CONFLICT (platform, external_id) DO UPDATE SET display_name = excluded.display_name
         RETURNING id, platform, external_id externalId, display_name displayName, timezone`,
      ),
      userById: db.prepare<[number], UserRow>(
        'SELECT id, platform, external_id externalId, display_name displayName, timezone FROM users WHERE id = ?',
      ),
      setTimezone: db.prepare<[string, number]>('UPDATE users SET timezone = ? WHERE id = ?'),
      upsertMember: db.prepare<[Tenant, number, string]>(
        `INSERT INTO members (tenant, user_id, display_name) VALUES (?, ?, ?)
         ON CONFLICT (tenant, user_id) DO UPDATE SET display_name = excluded.display_name WHERE display_name != excluded.display_name`,
      ),
      memberName: db.prepare<[Tenant, number], { name: string }>('SELECT display_name name FROM members WHERE tenant = ? AND user_id = ?'),
      card: db.prepare<[number, string], CardRow>(`SELECT ${cardColumns} FROM cards WHERE user_id = ? AND question_id = ?`),
      upsertCard: db.prepare(
        `INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state, last_review)
         VALUES (@userId, @questionId, @due, @stability, @difficulty, @elapsedDays, @scheduledDays, @learningSteps, @reps, @lapses, @state, @lastReview)
         ON CONFLICT (user_id, question_id) DO UPDATE SET due = excluded.due, stability = excluded.stability,
           difficulty = excluded.difficulty, elapsed_days = excluded.elapsed_days, scheduled_days = excluded.scheduled_days,
           learning_steps = excluded.learning_steps, reps = excluded.reps, lapses = excluded.lapses, state = excluded.state,
           last_review = excluded.last_review`,
      ),
      // Every question query takes the tenant: a user's cards follow them between servers, but a
      // bank imported in one server is asked only there.
      // Due means due on the learner's day: everything due before the day ends is due now. The most
      // overdue for its interval comes first, so what a daily cap holds back is what can best wait.
      dueCards: db.prepare<[DueQuery], { questionId: string; promptKey: string | null }>(
        `SELECT c.question_id questionId, q.prompt_key promptKey FROM cards c JOIN questions q ON q.id = c.question_id
         WHERE c.user_id = @userId AND c.due < @dayEnd AND q.retired_at IS NULL AND ${VISIBLE_AT}
           AND q.bank_id NOT IN (SELECT tb.bank_id FROM tenant_banks tb WHERE tb.tenant = @tenant AND tb.enabled = 0)
         ORDER BY ${MOST_OVERDUE} LIMIT @limit`,
      ),
      dueCardsInLesson: db.prepare<[DueQuery & { lessonId: string }], { questionId: string; promptKey: string | null }>(
        `SELECT c.question_id questionId, q.prompt_key promptKey FROM cards c JOIN questions q ON q.id = c.question_id
         WHERE c.user_id = @userId AND c.due < @dayEnd AND q.retired_at IS NULL AND q.lesson_id = @lessonId AND ${VISIBLE_AT}
         ORDER BY ${MOST_OVERDUE} LIMIT @limit`,
      ),
      // New questions of the banks the tenant has on, one bank after another in turn (round robin),
      // each bank's in lesson order, so an imported bank reaches a learner's first quiz. One pass
      // over the tenant's unseen questions: it runs when a quiz is planned, never per answer.
      newQuestions: db.prepare<[number, Tenant, Tenant, number], { id: string; promptKey: string | null }>(
        `SELECT id, promptKey FROM (
           SELECT q.id, q.prompt_key promptKey, q.bank_id bankId,
             row_number() OVER (PARTITION BY q.bank_id ORDER BY coalesce(l.position, 1e9), q.position) turn
           FROM questions q LEFT JOIN lessons l ON l.id = q.lesson_id
           WHERE q.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.user_id = ? AND c.question_id = q.id) AND ${VISIBLE}
             AND q.bank_id NOT IN ${DISABLED})
         ORDER BY turn, bankId LIMIT ?`,
      ),
      newQuestionsInLesson: db.prepare<[string, number, Tenant, number], { id: string; promptKey: string | null }>(
        `SELECT q.id, q.prompt_key promptKey FROM questions q
         WHERE q.lesson_id = ? AND q.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.user_id = ? AND c.question_id = q.id) AND ${VISIBLE}
         ORDER BY q.bank_id, q.position LIMIT ?`,
      ),
      lessonQuestions: db.prepare<[string, Tenant, number], { id: string; promptKey: string | null }>(
        `SELECT q.id, q.prompt_key promptKey FROM questions q WHERE q.lesson_id = ? AND q.retired_at IS NULL AND ${VISIBLE} ORDER BY q.bank_id, q.position LIMIT ?`,
      ),
      // One bank's quiz (/quiz bank:<id>): its due cards, its new questions in lesson order, or all of them to practise.
      dueCardsInBank: db.prepare<[DueQuery & { bankId: string }], { questionId: string; promptKey: string | null }>(
        `SELECT c.question_id questionId, q.prompt_key promptKey FROM cards c JOIN questions q ON q.id = c.question_id
         WHERE c.user_id = @userId AND c.due < @dayEnd AND q.retired_at IS NULL AND q.bank_id = @bankId AND ${VISIBLE_AT}
         ORDER BY ${MOST_OVERDUE} LIMIT @limit`,
      ),
      newQuestionsInBank: db.prepare<[string, number, Tenant, number], { id: string; promptKey: string | null }>(
        `SELECT q.id, q.prompt_key promptKey FROM questions q LEFT JOIN lessons l ON l.id = q.lesson_id
         WHERE q.bank_id = ? AND q.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.user_id = ? AND c.question_id = q.id) AND ${VISIBLE}
         ORDER BY coalesce(l.position, 1e9), q.position LIMIT ?`,
      ),
      bankQuestions: db.prepare<[string, Tenant, number], { id: string; promptKey: string | null }>(
        `SELECT q.id, q.prompt_key promptKey FROM questions q LEFT JOIN lessons l ON l.id = q.lesson_id
         WHERE q.bank_id = ? AND q.retired_at IS NULL AND ${VISIBLE} ORDER BY coalesce(l.position, 1e9), q.position LIMIT ?`,
      ),
      // A race asks each prompt once (two banks' copies of a question are one group), from the banks the tenant has on.
      raceQuestions: db.prepare<[Tenant, Tenant, number], { id: string }>(
        `SELECT min(q.id) id FROM questions q WHERE q.retired_at IS NULL AND q.type IN ('single', 'true_false') AND ${VISIBLE} AND q.bank_id NOT IN ${DISABLED}
         GROUP BY ${PROMPT} ORDER BY random() LIMIT ?`,
      ),
      raceQuestionsInLesson: db.prepare<[string, Tenant, Tenant, number], { id: string }>(
        `SELECT min(q.id) id FROM questions q WHERE q.lesson_id = ? AND q.retired_at IS NULL AND q.type IN ('single', 'true_false') AND ${VISIBLE}
           AND q.bank_id NOT IN ${DISABLED}
         GROUP BY ${PROMPT} ORDER BY random() LIMIT ?`,
      ),
      introducedSince: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) n FROM reviews WHERE user_id = ? AND answered_at >= ? AND was_new = 1',
      ),
      // The day's reviews that count against its cap: answers to cards that were due, new ones aside.
      reviewedSince: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) n FROM reviews WHERE user_id = ? AND answered_at >= ? AND was_due = 1 AND was_new = 0',
      ),
      reviewCap: db.prepare<[number], { cap: number | null }>('SELECT max_reviews_per_day cap FROM users WHERE id = ?'),
      setReviewCap: db.prepare<[number | null, number]>('UPDATE users SET max_reviews_per_day = ? WHERE id = ?'),
      missedSince: db.prepare<[number, number, Tenant], { questionId: string; promptKey: string | null }>(
        `SELECT r.question_id questionId, q.prompt_key promptKey FROM reviews r JOIN questions q ON q.id = r.question_id
         WHERE r.user_id = ? AND r.answered_at >= ? AND r.correct = 0 AND ${VISIBLE}
         GROUP BY r.question_id ORDER BY min(r.answered_at)`,
      ),
      nextDue: db.prepare<[number, Tenant], { due: number | null }>(
        `SELECT min(c.due) due FROM cards c JOIN questions q ON q.id = c.question_id WHERE c.user_id = ? AND q.retired_at IS NULL AND ${VISIBLE}`,
      ),
      questionHash: db.prepare<[string], { hash: string }>('SELECT content_hash hash FROM questions WHERE id = ?'),
      // The body carries the question's id in its bank, as files do; buttons and answers carry the
      // internal id, so a question whose two differ is read under its internal one.
      question: db.prepare<[string], { body: string; retiredAt: number | null; lessonId: string | null; tenant: string | null }>(
        `SELECT CASE WHEN local_id IS NULL OR local_id = id THEN body ELSE json_set(body, '$.id', id) END body, retired_at retiredAt, lesson_id lessonId, tenant
         FROM questions WHERE id = ?`,
      ),
      insertReview: db.prepare(
        `INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day)
         VALUES (@userId, @questionId, @rating, @correct, @wasDue, @wasNew, @answeredAt, @localDay)`,
      ),
      session: db.prepare<[string], RawSession>(`SELECT ${sessionColumns} FROM quiz_sessions WHERE id = ?`),
      openSession: db.prepare<[number], RawSession>(
        `SELECT ${sessionColumns} FROM quiz_sessions WHERE user_id = ? AND finished_at IS NULL ORDER BY started_at DESC LIMIT 1`,
      ),
      insertAnswer: db.prepare(
        `INSERT INTO session_answers (session_id, position, question_id, answer, correct, points, interaction_id, answered_at)
         VALUES (@sessionId, @position, @questionId, @answer, @correct, @points, @interactionId, @answeredAt)
         ON CONFLICT DO NOTHING`,
      ),
      insertAward: db.prepare(
        `INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at)
         VALUES (@key, @userId, @serverKey, @channelId, @points, @reason, @now) ON CONFLICT (award_key) DO NOTHING`,
      ),
      streak: db.prepare<[number], { current: number; best: number; lastDay: string }>(
        'SELECT current, best, last_day lastDay FROM streaks WHERE user_id = ?',
      ),
      upsertStreak: db.prepare(
        `INSERT INTO streaks (user_id, current, best, last_day) VALUES (@userId, @current, @best, @lastDay)
         ON CONFLICT (user_id) DO UPDATE SET current = excluded.current, best = excluded.best, last_day = excluded.last_day`,
      ),
      currentSeason: db.prepare<[string], { number: number }>(
        'SELECT number FROM seasons WHERE server_key = ? AND ended_at IS NULL ORDER BY number DESC LIMIT 1',
      ),
      lastSeason: db.prepare<[string], { number: number | null }>('SELECT max(number) number FROM seasons WHERE server_key = ?'),
      insertSeason: db.prepare<[string, number, number]>(
        'INSERT INTO seasons (server_key, number, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
    };
  }

  private cache = new Map<string, Database.Statement>();
  /** Answers and race clicks commit in groups (see GroupCommit). */
  readonly writes: GroupCommit;
  /** The standings of recently read leaderboards, in order (see BoardIndex). */
  readonly boards: BoardIndex;

  /** A prepared statement for `sql`, prepared once. */
  q<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.cache.set(sql, s);
    }
    return s as Database.Statement<P, R>;
  }

  /**
   * The user behind an actor, created on first sight, and their name in the tenant they act in
   * (the platform's name there: a server nickname). Boards show that name, and only in that tenant.
   */
  user(actor: Actor, tenant: Tenant): UserRow {
    const key = `${actor.platform}:${actor.userId}`;
    let row = this.users.get(key);
    if (!row || row.displayName !== actor.displayName) {
      row = this.stmt.upsertUser.get(actor.platform, actor.userId, actor.displayName)!;
      this.users.set(key, row);
    }
    const memberKey = `${tenant}\u0000${row.id}`;
    if (this.memberNames.get(memberKey) !== actor.displayName) {
      this.stmt.upsertMember.run(tenant, row.id, actor.displayName);
      this.memberNames.set(memberKey, actor.displayName);
    }
    return row;
  }

  userById(id: number): UserRow | undefined {
    return this.stmt.userById.get(id);
  }

  /** A user's name as the given tenant knows it. */
  memberName(tenant: Tenant, userId: number): string {
    return this.stmt.memberName.get(tenant, userId)?.name ?? 'someone';
  }

  /**
   * Drops every cache derived from rows. Work in a grouped write may run twice (after a rollback),
   * so a row it created may be gone and its id handed out again: nothing cached from it may stay.
   */
  forgetDerived(): void {
    this.boards.clear();
    this.sessions.clear();
    this.users.clear();
    this.memberNames.clear();
    this.seasons.clear();
  }

  setTimezone(user: UserRow, timezone: string): void {
    this.stmt.setTimezone.run(timezone, user.id);
    this.users.set(`${user.platform}:${user.externalId}`, { ...user, timezone });
  }

  timezoneOf(user: UserRow): string {
    return user.timezone ?? this.services.config.DEFAULT_TIMEZONE;
  }

  /**
   * Quiz sessions by id, written through: every write to quiz_sessions goes through the three
   * methods below, so an answer finds its session without a read. The bot is the database's only
   * writer (it holds the lock); a rolled-back group clears the cache.
   */
  private sessions = new LruMap<string, SessionRow>(10_000);
  private readonly sessionWrites;

  session(id: string): SessionRow | undefined {
    const cached = this.sessions.get(id);
    if (cached) return cached;
    const raw = this.stmt.session.get(id);
    if (!raw) return undefined;
    const session = parseSession(raw);
    this.sessions.set(session.id, session);
    return session;
  }

  insertSession(session: SessionRow): void {
    this.sessionWrites.insert.run({ ...session, questionIds: JSON.stringify(session.questionIds), order: JSON.stringify(session.order) });
    this.sessions.set(session.id, session);
  }

  closeSession(id: string, now: number): void {
    this.sessionWrites.close.run(now, id);
    this.sessions.delete(id);
  }

  /** Moves a session past its current question (the caller checked it is still there). */
  advanceSession(session: SessionRow, next: { order: number[]; version: string | null; correct: boolean; points: number; missed: string[]; finishedAt: number | null }): void {
    const position = session.position + 1;
    const moved = this.sessionWrites.advance.run({
      id: session.id,
      from: session.position,
      position,
      order: JSON.stringify(next.order),
      version: next.version,
      correct: next.correct ? 1 : 0,
      points: next.points,
      missed: JSON.stringify(next.missed),
      finishedAt: next.finishedAt,
    });
    // The cache said the session was here and the table disagrees: fail the write, so the group
    // rolls back, the cache is cleared, and the answer runs again on what the table holds.
    if (moved.changes === 0) throw new Error(`quiz session ${session.id} is not at position ${session.position}`);
    this.sessions.set(session.id, {
      ...session,
      position,
      order: next.order,
      version: next.version,
      correct: session.correct + (next.correct ? 1 : 0),
      points: session.points + next.points,
      missed: next.missed,
      finishedAt: next.finishedAt,
    });
  }

  /**
   * Shows the current question again as it is now: a new choice order for its new version. The
   * position is the gate, as for advancing: a session that moved on is left alone.
   */
  reshowSession(session: SessionRow, order: number[], version: string): SessionRow {
    const moved = this.sessionWrites.reshow.run(JSON.stringify(order), version, session.id, session.position);
    if (moved.changes === 0) throw new Error(`quiz session ${session.id} is not at position ${session.position}`);
    const next = { ...session, order, version };
    this.sessions.set(session.id, next);
    return next;
  }

  openSession(userId: number): SessionRow | undefined {
    const raw = this.stmt.openSession.get(userId);
    return raw && parseSession(raw);
  }

  /** The season number in progress on a server, starting season 1 on first use. */
  currentSeason(key: Tenant, now: number): number {
    const cached = this.seasons.get(key);
    if (cached !== undefined) return cached;
    let row = this.stmt.currentSeason.get(key);
    if (!row) {
      const next = (this.stmt.lastSeason.get(key)?.number ?? 0) + 1;
      this.stmt.insertSeason.run(key, next, now);
      row = this.stmt.currentSeason.get(key)!;
    }
    this.seasons.set(key, row.number);
    return row.number;
  }

  forgetSeason(key: Tenant): void {
    this.seasons.delete(key);
  }
}

function parseSession(raw: RawSession): SessionRow {
  return { ...raw, questionIds: JSON.parse(raw.questionIds), order: JSON.parse(raw.order), missed: JSON.parse(raw.missed) };
}

export const quizStore = perServices((services) => new QuizStore(services));
