import type Database from 'better-sqlite3';
import { ANSWER_LOG, AnswerLogApplier, type AnswerEffects, type AwardRecord, type CardState, type StreakState } from '../../db/answer-log.js';
import { startApplierThread, type ApplierMessage, type ApplierThread } from '../../db/answer-log-thread.js';
import { telemetry } from '../telemetry.js';
import type { Logger } from '../../logger.js';
import type { SessionRow } from './store.js';

interface Pending {
  seq: number;
  effects: AnswerEffects;
  /** The session as this answer left it. */
  session: SessionRow;
}

/** How long a read that needs every answer applied waits before it gives up with an error. */
export const SETTLE_TIMEOUT_MS = 5_000;
/** Past this many unapplied answers, new answers wait for the log to catch up. */
export const MAX_BACKLOG = 20_000;

/**
 * The answers that are in the log but whether or not their effects have reached the quiz tables.
 * Graded answers are appended here (one row each, inside the grouped commit); until a batch has
 * applied them, whatever the next answer needs (the card, the streak, whether an award key was
 * used, the session) is read from here before the tables. Reads that need the tables whole (stats,
 * plans, leaderboard archives) wait with `settled()` first.
 *
 * While the bot runs its background work, a worker thread applies the log; otherwise (tests,
 * command-line tools) each group is applied right after its commit, so the tables are always
 * current.
 */
export class PendingAnswers {
  readonly applier: AnswerLogApplier;
  private readonly insert: Database.Statement<[number, string]>;
  private pending = new Map<number, Pending>();
  private cards = new Map<string, number>();
  private streaks = new Map<number, number>();
  private awardKeys = new Map<string, number>();
  private sessions = new Map<string, number>();
  private awards: { seq: number; award: AwardRecord }[] = [];
  private nextSeq: number;
  private committed: number;
  private appliedSeq: number;
  private waiters: { seq: number; resolve: () => void; timer: NodeJS.Timeout }[] = [];
  private thread: ApplierThread | undefined;
  private retry: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly logger: Logger,
  ) {
    this.applier = new AnswerLogApplier(sqlite);
    // What a stopped process left unapplied goes in first.
    this.report(this.applier.applyAll(true));
    this.appliedSeq = this.applier.applied();
    this.committed = this.applier.lastLogged();
    this.nextSeq = this.committed + 1;
    this.insert = sqlite.prepare(`INSERT INTO ${ANSWER_LOG}.entries (seq, body) VALUES (?, ?)`);
  }

  /** Answers committed to the log and not yet known to be applied. */
  get backlog(): number {
    return this.committed - this.appliedSeq;
  }

  /** Appends one graded answer; call inside the answer group's transaction. */
  append(effects: AnswerEffects, session: SessionRow): void {
    const seq = this.nextSeq++;
    this.insert.run(seq, JSON.stringify(effects));
    this.track({ seq, effects, session });
  }

  private track(p: Pending): void {
    const e = p.effects;
    this.pending.set(p.seq, p);
    if (e.card) this.cards.set(cardKey(e.card.userId, e.card.questionId), p.seq);
    if (e.streak) this.streaks.set(e.streak.userId, p.seq);
    if (e.award) {
      this.awardKeys.set(e.award.key, p.seq);
      this.awards.push({ seq: p.seq, award: e.award });
    }
    this.sessions.set(p.session.id, p.seq);
  }

  /** The card as the latest unapplied answer left it; undefined when the table has it. */
  card(userId: number, questionId: string): CardState | undefined {
    const seq = this.cards.get(cardKey(userId, questionId));
    return seq === undefined ? undefined : this.pending.get(seq)!.effects.card!;
  }

  streak(userId: number): StreakState | undefined {
    const seq = this.streaks.get(userId);
    return seq === undefined ? undefined : this.pending.get(seq)!.effects.streak!;
  }

  awarded(key: string): boolean {
    return this.awardKeys.has(key);
  }

  session(id: string): SessionRow | undefined {
    const seq = this.sessions.get(id);
    return seq === undefined ? undefined : this.pending.get(seq)!.session;
  }

  /** Unapplied awards on one board past `applied` (the mark as of the caller's read of the table). */
  awardsOn(scope: string, period: string, applied: number): AwardRecord[] {
    return this.awards.filter((a) => a.seq > applied && a.award.boards.some(([s, p]) => s === scope && p === period)).map((a) => a.award);
  }

  /** The group's appends are durable: apply them now, or wake the thread that does. */
  afterCommit(): void {
    if (this.nextSeq - 1 === this.committed) return;
    this.committed = this.nextSeq - 1;
    if (this.thread) this.thread.wake();
    else {
      try {
        this.applyHere();
      } catch (err) {
        // The answers are durable in the log; the next group (or the next start) applies them.
        telemetry.answerLogFailures++;
        this.logger.warn({ err }, 'applying the answer log failed; it is retried with the next answer');
      }
    }
  }

  /** A group (or one answer of it) was rolled back: forget what did not reach the log. */
  afterRollback(): void {
    let durable: number;
    try {
      durable = this.applier.lastLogged();
    } catch {
      // The database cannot be read now: only what earlier groups committed is sure to be logged.
      durable = this.committed;
    }
    this.nextSeq = durable + 1;
    this.committed = Math.min(this.committed, durable);
    const kept = [...this.pending.values()].filter((p) => p.seq <= durable);
    this.pending.clear();
    this.cards.clear();
    this.streaks.clear();
    this.awardKeys.clear();
    this.sessions.clear();
    this.awards = [];
    for (const p of kept) this.track(p);
  }

  private applyHere(): void {
    this.report(this.applier.applyAll(true));
    this.applied(this.applier.applied());
  }

  private report(failed: { seq: number; error: string }[]): void {
    for (const f of failed) {
      telemetry.answerLogFailures++;
      this.logger.error({ seq: f.seq, error: f.error }, 'a logged answer could not be applied; it was skipped');
    }
  }

  /** The tables hold every answer up to `seq`: drop what they now answer for, wake the waiters. */
  private applied(seq: number): void {
    if (seq <= this.appliedSeq) return;
    this.appliedSeq = seq;
    for (const [s, p] of this.pending) {
      if (s > seq) break;
      this.pending.delete(s);
      const e = p.effects;
      if (e.card && this.cards.get(cardKey(e.card.userId, e.card.questionId)) === s) this.cards.delete(cardKey(e.card.userId, e.card.questionId));
      if (e.streak && this.streaks.get(e.streak.userId) === s) this.streaks.delete(e.streak.userId);
      if (e.award && this.awardKeys.get(e.award.key) === s) this.awardKeys.delete(e.award.key);
      if (this.sessions.get(p.session.id) === s) this.sessions.delete(p.session.id);
    }
    let drop = 0;
    while (drop < this.awards.length && this.awards[drop]!.seq <= seq) drop++;
    if (drop) this.awards.splice(0, drop);
    this.waiters = this.waiters.filter((w) => {
      if (w.seq > seq) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  /** Resolves once every answer committed so far is in the tables. */
  settled(): Promise<void> {
    const seq = this.committed;
    if (seq <= this.appliedSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(Object.assign(new Error('the answer log is not being applied'), { code: 'SQLITE_BUSY_ANSWER_LOG' }));
      }, SETTLE_TIMEOUT_MS);
      this.waiters.push({ seq, resolve, timer });
    });
  }

  /** Applies the log on a worker thread from now on. */
  startThread(busyTimeoutMs: number): void {
    if (this.thread || this.sqlite.memory) return;
    this.thread = startApplierThread(this.sqlite.name, busyTimeoutMs, (m) => this.onThreadMessage(m), (error) => {
      this.logger.error({ err: error }, 'the answer log thread stopped; applying in the bot from now on');
      this.thread = undefined;
      this.applyHere();
    });
    if (this.backlog > 0) this.thread.wake();
  }

  private onThreadMessage(m: ApplierMessage): void {
    if (m.kind === 'error') {
      telemetry.answerLogFailures++;
      // Retried ten times a second while storage is broken: logged when the reason changes.
      if (m.message !== this.lastError) this.logger.warn({ error: m.message }, 'applying the answer log failed; retrying');
      this.lastError = m.message;
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.thread?.wake();
      }, 100).unref();
      return;
    }
    this.lastError = undefined;
    this.report(m.failed);
    if (m.applied > this.appliedSeq) this.applier.dropApplied(m.applied);
    this.applied(m.applied);
  }

  /** Stops the thread (waiting for its batch) and applies the rest here. */
  stopThread(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const thread = this.thread;
    this.thread = undefined;
    thread?.stop();
    if (this.sqlite.open) this.applyHere();
  }
}

const cardKey = (userId: number, questionId: string) => `${userId}\u0000${questionId}`;
