import type Database from 'better-sqlite3';

/**
 * The answer log: a small database file beside the main one where each graded answer is appended
 * as one row, the only durable write an answer waits for. Its effects on the quiz tables (card,
 * review, award and totals, streak, session progress, the recorded answer) are applied later, in
 * seq order and in batches, by `AnswerLogApplier`, which marks how far it got in the same
 * transaction. An entry is thus applied exactly once, whether by the bot's background thread, by
 * the bot itself, or by the next process to open the database after a crash.
 *
 * The log is its own file because SQLite locks per file: appends never wait for an apply batch
 * holding the main database, and an apply batch never waits for an append.
 */
export const ANSWER_LOG = 'answer_log';

/** The answer log lives beside the database, under its name plus this suffix. */
export const ANSWER_LOG_SUFFIX = '.answers';

export function answerLogFile(databaseFile: string): string {
  return databaseFile === ':memory:' || databaseFile === '' ? ':memory:' : `${databaseFile}${ANSWER_LOG_SUFFIX}`;
}

/** A card's FSRS state, as the cards table holds it. */
export interface CardState {
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

export interface StreakState {
  userId: number;
  current: number;
  best: number;
  lastDay: string;
}

/** One award and the boards (scope, period) whose running totals it adds to. */
export interface AwardRecord {
  key: string;
  userId: number;
  serverKey: string;
  channelId: string;
  points: number;
  reason: string;
  createdAt: number;
  boards: (readonly [scope: string, period: string])[];
}

/** Everything one graded answer changes, decided when it was graded. */
export interface AnswerEffects {
  answer: { sessionId: string; position: number; questionId: string; answer: string; correct: number; points: number; interactionId: string; answeredAt: number };
  review: { userId: number; questionId: string; rating: number; correct: number; wasDue: number; wasNew: number; answeredAt: number; localDay: string };
  /** The card after grading; null when the card was not due (practice changes no schedule). */
  card: CardState | null;
  award: AwardRecord | null;
  /** The streak after this answer; null when it already counted today. */
  streak: StreakState | null;
  session: { id: string; from: number; order: number[]; correct: number; points: number; missed: string[]; finishedAt: number | null };
}

export interface LoggedAnswer {
  seq: number;
  effects: AnswerEffects;
}

/** Attaches the database's answer log (creating it when missing) to a connection. */
export function attachAnswerLog(sqlite: Database.Database): void {
  const attached = sqlite.prepare<[], { name: string }>('PRAGMA database_list').all().some((d) => d.name === ANSWER_LOG);
  if (attached) return;
  sqlite.prepare(`ATTACH DATABASE ? AS ${ANSWER_LOG}`).run(answerLogFile(sqlite.memory ? ':memory:' : sqlite.name));
  sqlite.pragma(`${ANSWER_LOG}.journal_mode = WAL`);
  sqlite.pragma(`${ANSWER_LOG}.synchronous = NORMAL`);
  sqlite.pragma(`${ANSWER_LOG}.journal_size_limit = 67108864`);
  sqlite.exec(`CREATE TABLE IF NOT EXISTS ${ANSWER_LOG}.entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
}

const APPLIED_KEY = 'answer_log_applied';

/** Adds to the running totals of `n` boards in one statement (n rows of scope, period, user, points, at). */
function addToTotalsSql(n: number): string {
  return `INSERT INTO scores (scope, period, user_id, points, reached_at)
    VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT (user_id, scope, period) DO UPDATE SET points = points + excluded.points,
      reached_at = max(reached_at, excluded.reached_at)`;
}

/** What one apply batch did. */
export interface AppliedBatch {
  /** The last seq applied (0 before the first entry ever). */
  applied: number;
  /** Entries applied in this batch. */
  count: number;
  /** Entries that could not be applied (reported, then skipped so the rest is not held up). */
  failed: { seq: number; error: string }[];
}

/**
 * Writes answers' effects and awards into the quiz tables, on one connection (the bot's, or the
 * background thread's own). Both the answer log and race awards write through here.
 */
export class AnswerLogApplier {
  private readonly stmt;
  private readonly totals = new Map<number, Database.Statement>();

  constructor(private readonly sqlite: Database.Database) {
    attachAnswerLog(sqlite);
    const db = sqlite;
    this.stmt = {
      // A no-op write first: it takes the main database's write lock before anything is read, so
      // two appliers (the bot and a command-line tool) never apply the same entries.
      lock: db.prepare<[string]>(`INSERT INTO meta (key, value) VALUES (?, '0') ON CONFLICT (key) DO UPDATE SET value = value`),
      applied: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
      setApplied: db.prepare<[string, string]>('UPDATE meta SET value = ? WHERE key = ?'),
      pending: db.prepare<[number, number], { seq: number; body: string }>(`SELECT seq, body FROM ${ANSWER_LOG}.entries WHERE seq > ? ORDER BY seq LIMIT ?`),
      lastSeq: db.prepare<[], number | null>(`SELECT max(seq) FROM ${ANSWER_LOG}.entries`).pluck(),
      dropApplied: db.prepare<[number]>(`DELETE FROM ${ANSWER_LOG}.entries WHERE seq <= ?`),
      begin: db.prepare('BEGIN'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT entry'),
      release: db.prepare('RELEASE entry'),
      rollbackTo: db.prepare('ROLLBACK TO entry'),
      insertAnswer: db.prepare(
        `INSERT INTO session_answers (session_id, position, question_id, answer, correct, points, interaction_id, answered_at)
         VALUES (@sessionId, @position, @questionId, @answer, @correct, @points, @interactionId, @answeredAt) ON CONFLICT DO NOTHING`,
      ),
      insertReview: db.prepare(
        `INSERT INTO reviews (user_id, question_id, rating, correct, was_due, was_new, answered_at, local_day)
         VALUES (@userId, @questionId, @rating, @correct, @wasDue, @wasNew, @answeredAt, @localDay)`,
      ),
      upsertCard: db.prepare(
        `INSERT INTO cards (user_id, question_id, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, state, last_review)
         VALUES (@userId, @questionId, @due, @stability, @difficulty, @elapsedDays, @scheduledDays, @learningSteps, @reps, @lapses, @state, @lastReview)
         ON CONFLICT (user_id, question_id) DO UPDATE SET due = excluded.due, stability = excluded.stability,
           difficulty = excluded.difficulty, elapsed_days = excluded.elapsed_days, scheduled_days = excluded.scheduled_days,
           learning_steps = excluded.learning_steps, reps = excluded.reps, lapses = excluded.lapses, state = excluded.state,
           last_review = excluded.last_review`,
      ),
      insertAward: db.prepare(
        `INSERT INTO awards (award_key, user_id, server_key, channel_id, points, reason, created_at)
         VALUES (@key, @userId, @serverKey, @channelId, @points, @reason, @createdAt) ON CONFLICT (award_key) DO NOTHING`,
      ),
      upsertStreak: db.prepare(
        `INSERT INTO streaks (user_id, current, best, last_day) VALUES (@userId, @current, @best, @lastDay)
         ON CONFLICT (user_id) DO UPDATE SET current = excluded.current, best = excluded.best, last_day = excluded.last_day`,
      ),
      // finished_at keeps a close that happened while this answer waited in the log.
      advanceSession: db.prepare(
        `UPDATE quiz_sessions SET position = @from + 1, choice_order = @order, correct = correct + @correct, points = points + @points,
           missed = @missed, finished_at = coalesce(finished_at, @finishedAt) WHERE id = @id AND position = @from`,
      ),
    };
  }

  /** The last seq whose effects are in the quiz tables, as this connection sees them now. */
  applied(): number {
    return Number(this.stmt.applied.get(APPLIED_KEY) ?? 0);
  }

  /** The highest seq written to the log (entries are dropped once applied). */
  lastLogged(): number {
    return Math.max(this.stmt.lastSeq.get() ?? 0, this.applied());
  }

  /**
   * Records an award once and adds it to its boards' running totals. Returns false when the key
   * was already awarded. Runs inside the caller's transaction.
   */
  award(a: AwardRecord): boolean {
    const inserted = this.stmt.insertAward.run({ key: a.key, userId: a.userId, serverKey: a.serverKey, channelId: a.channelId, points: a.points, reason: a.reason, createdAt: a.createdAt });
    if (inserted.changes === 0) return false;
    let add = this.totals.get(a.boards.length);
    if (!add) this.totals.set(a.boards.length, (add = this.sqlite.prepare(addToTotalsSql(a.boards.length))));
    add.run(a.boards.flatMap(([scope, period]) => [scope, period, a.userId, a.points, a.createdAt]));
    return true;
  }

  /** One answer's effects. The recorded answer goes first: if it is already there, nothing is repeated. */
  private apply(e: AnswerEffects): void {
    if (this.stmt.insertAnswer.run(e.answer).changes === 0) return;
    this.stmt.insertReview.run(e.review);
    if (e.card) this.stmt.upsertCard.run(e.card);
    if (e.award) this.award(e.award);
    if (e.streak) this.stmt.upsertStreak.run(e.streak);
    const s = e.session;
    this.stmt.advanceSession.run({ id: s.id, from: s.from, order: JSON.stringify(s.order), correct: s.correct, points: s.points, missed: JSON.stringify(s.missed), finishedAt: s.finishedAt });
  }

  /**
   * Applies up to `limit` logged entries past the applied mark in one transaction, and moves the
   * mark. An entry that fails (a constraint its rows no longer meet) is rolled back alone and
   * reported; the batch goes on. With `dropApplied`, applied entries leave the log in the same
   * transaction (only for the log's writer: the bot, or a process opening the database alone).
   */
  applyBatch(limit: number, dropApplied = false): AppliedBatch {
    const failed: AppliedBatch['failed'] = [];
    this.stmt.begin.run();
    try {
      this.stmt.lock.run(APPLIED_KEY);
      let applied = this.applied();
      const entries = this.stmt.pending.all(applied, limit);
      for (const { seq, body } of entries) {
        this.stmt.savepoint.run();
        try {
          this.apply(JSON.parse(body) as AnswerEffects);
          this.stmt.release.run();
        } catch (err) {
          this.stmt.rollbackTo.run();
          this.stmt.release.run();
          failed.push({ seq, error: (err as Error).message });
        }
        applied = seq;
      }
      if (entries.length) this.stmt.setApplied.run(String(applied), APPLIED_KEY);
      if (dropApplied) this.stmt.dropApplied.run(applied);
      this.stmt.commit.run();
      return { applied, count: entries.length, failed };
    } catch (err) {
      if (this.sqlite.inTransaction) this.stmt.rollback.run();
      throw err;
    }
  }

  /** Whether the log holds entries past the applied mark (a read: no write when there are none). */
  behind(): boolean {
    return (this.stmt.lastSeq.get() ?? 0) > this.applied();
  }

  /** Applies everything logged so far; returns the failures. */
  applyAll(dropApplied = false, batch = 1000): AppliedBatch['failed'] {
    const failed: AppliedBatch['failed'] = [];
    if (!this.behind()) {
      if (dropApplied && this.stmt.lastSeq.get() !== null) this.dropApplied(this.applied());
      return failed;
    }
    for (;;) {
      const done = this.applyBatch(batch, dropApplied);
      failed.push(...done.failed);
      if (done.count < batch) return failed;
    }
  }

  /** Drops applied entries from the log (the log's writer only). */
  dropApplied(upTo: number): void {
    this.stmt.dropApplied.run(upTo);
  }
}
