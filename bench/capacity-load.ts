import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from './harness.js';

/**
 * Open-loop load for the capacity benchmark, the same for every platform: requests go out at a
 * fixed rate whatever the bot answers (so a slow bot meets a growing queue, as it would in
 * production), each from a user in the middle of a realistic visit: /quiz start, answer, Next,
 * answer, … to the end of the quiz, then /leaderboard and /stats. A user acts again at the
 * earliest THINK_MS after seeing their last answer; when no user is free, a new one arrives, so
 * the number of users grows with the rate (about rate × THINK_MS at once). Users belong to many
 * servers (Discord guilds, Slack workspaces) in turn.
 */

/** The earliest a user acts again after seeing an answer: reading it and clicking. */
export const THINK_MS = 800;
/** Both platforms drop an interaction not acknowledged within 3 s. */
export const DEADLINE_MS = 3000;
/** What a user sees when the bot could not serve them: counted as lost. */
export const FAILURE_TEXT = /Something went wrong|Slow down a little|Please try again/;

/** A step's failure when the answer the user read is one of the bot's error messages (its start); nothing otherwise. */
export function failureIn(text: string): { failure?: string } {
  return FAILURE_TEXT.test(text) ? { failure: text.slice(0, 80) } : {};
}
/** A trial passes only if the answers completed in its second half keep up with what was sent then. */
export const KEEP_PACE = 0.9;

export type StepKind = 'start' | 'answer' | 'next' | 'leaderboard' | 'stats';
export const STEP_KINDS: StepKind[] = ['start', 'answer', 'next', 'leaderboard', 'stats'];

export type Step = { kind: 'start' | 'leaderboard' | 'stats' } | { kind: 'answer' | 'next'; actionId: string; value?: string };

/** A simulated user: where they are in their visit, and the buttons they see. */
export interface LoadUser {
  /** Numbers users across the whole benchmark: names and ids derive from it. */
  index: number;
  /** The server (guild, workspace) the user belongs to: index modulo the number of servers. */
  server: number;
  /** Steps taken so far in this visit. */
  steps: number;
  /** At which step of the visit the user reads the leaderboard and their stats (each once). */
  leaderboardAt: number;
  statsAt: number;
  leaderboardRead: boolean;
  statsRead: boolean;
  /** The quiz is over: no question or Next button left. */
  quizDone: boolean;
  /** The quiz's buttons, and the platform's handle on the message they are on. */
  buttons: { id: string; value?: string }[];
  message?: unknown;
  /** When the user may act again (performance.now()). */
  readyAt: number;
}

/** Steps of a visit after /quiz start among which the leaderboard and stats reads fall. */
const VISIT_STEPS = 10;

/** A new user arriving; where in the visit they read the board and their stats follows from the index. */
export function newUser(index: number, servers: number, now: number): LoadUser {
  // Spread over the visit (a multiplicative hash: the same users at every run), so a short trial
  // sees every kind of step, not only the quiz's first questions.
  const h = Math.imul(index + 1, 2654435761) >>> 0;
  const leaderboardAt = 1 + (h % VISIT_STEPS);
  const statsAt = 1 + ((h >>> 8) % VISIT_STEPS);
  return { index, server: index % servers, steps: 0, leaderboardAt, statsAt: statsAt === leaderboardAt ? 1 + (statsAt % VISIT_STEPS) : statsAt, leaderboardRead: false, statsRead: false, quizDone: false, buttons: [], readyAt: now };
}

/** What the user does next, or undefined when the visit is over. */
export function nextStep(user: LoadUser): Step | undefined {
  if (user.steps === 0) return { kind: 'start' };
  if (!user.leaderboardRead && (user.steps >= user.leaderboardAt || user.quizDone)) return { kind: 'leaderboard' };
  if (!user.statsRead && (user.steps >= user.statsAt || user.quizDone)) return { kind: 'stats' };
  if (user.quizDone) return undefined;
  const next = user.buttons.find((b) => b.id.startsWith('qn:'));
  if (next) return { kind: 'next', actionId: next.id, value: next.value };
  // The first choice, or "I don't know" on a typed question (no form to fill in).
  const answer = user.buttons.find((b) => b.id.startsWith('qa:'));
  if (answer) return { kind: 'answer', actionId: answer.id, value: answer.value };
  return undefined;
}

/** The user saw the answer to a step: the quiz's own replies carry its buttons on. */
export function applySeen(user: LoadUser, step: Step, seen: Seen): void {
  user.steps++;
  if (step.kind === 'leaderboard') user.leaderboardRead = true;
  else if (step.kind === 'stats') user.statsRead = true;
  else {
    user.buttons = seen.buttons;
    user.message = seen.message;
    user.quizDone = !seen.buttons.some((b) => b.id.startsWith('qn:') || b.id.startsWith('qa:'));
  }
}

/** What the user saw in answer to one step. */
export interface Seen {
  /** From sending until the platform got the bot's acknowledgement. */
  ackMs: number;
  /** From sending until the user saw the answer (the same as ackMs when the ack carried it). */
  answerMs: number;
  buttons: { id: string; value?: string }[];
  message?: unknown;
  /** Why the user saw no proper answer: an error message, a refusal, a late callback. */
  failure?: string;
}

export interface Driver {
  /** Sends the step now; resolves once the user has seen the answer (or with a failure). */
  send(user: LoadUser, step: Step): Promise<Seen>;
  /** Called once a trial has settled: forget what the platform fake no longer needs. */
  afterTrial?(): void;
  /** CPU milliseconds the bot process has used so far, where the system tells. */
  botCpuMs?(): number | undefined;
}

export interface TrialResult {
  rate: number;
  windowMs: number;
  /** Steps sent in the measured window, and how many of them were answered. */
  sent: number;
  answered: number;
  /** Steps that got no proper answer, lead-in included. */
  lost: number;
  failures: string[];
  ackP50: number;
  ackP99: number;
  answerP99: number;
  /** Answers completed in the window's second half over the steps sent in it. */
  pace: number;
  /** Sending stopped early because the answers outstanding already implied missed deadlines. */
  aborted: boolean;
  /** p99 of how late the generator sent (its own event loop's delay). */
  sendLagP99: number;
  kinds: Record<StepKind, number>;
  /** New users who arrived during the trial. */
  users: number;
  /** The bot's CPU time over the trial's wall time (1 = one core busy throughout), where known. */
  botCpu: number | undefined;
  /** The same for this process: the load generator and the platform's fake. */
  generatorCpu: number;
  passed: boolean;
}

/** The users of one platform's benchmark, carried from trial to trial so visits continue. */
export class UserPool {
  private idle: LoadUser[] = [];
  private created = 0;
  private taken = 0;
  constructor(private readonly servers: number) {}

  /**
   * A new arrival on every VISIT_STEPS + 2 steps (a visit's length, so /quiz start keeps its share
   * of the mix however short a trial), and whenever no one is free; otherwise the longest-waiting
   * user whose think time is over.
   */
  take(now: number): { user: LoadUser; step: Step } {
    const arrival = ++this.taken % (VISIT_STEPS + 2) === 0;
    while (!arrival) {
      const head = this.idle[0];
      if (!head || head.readyAt > now) break;
      this.idle.shift();
      const step = nextStep(head);
      // A user whose visit is over leaves.
      if (step) return { user: head, step };
    }
    const user = newUser(this.created++, this.servers, now);
    return { user, step: nextStep(user)! };
  }

  /** The user goes back to the queue after seeing their answer, to act again after THINK_MS. */
  release(user: LoadUser, now: number): void {
    user.readyAt = now + THINK_MS;
    this.idle.push(user);
  }

  get size(): number {
    return this.created;
  }
}

/**
 * One trial: `rate` steps a second for `leadInMs` then `windowMs`, then waits for every answer
 * (or failure). The lead-in is not measured: users arrive until there are enough of them in the
 * middle of their visits for the rate (after a doubling, half are missing), so the measured
 * window sees the steady mix rather than a burst of newcomers' /quiz starts. Anything lost,
 * lead-in included, fails the trial.
 */
export async function runTrial(driver: Driver, pool: UserPool, rate: number, windowMs: number, leadInMs = 0): Promise<TrialResult> {
  const kinds = Object.fromEntries(STEP_KINDS.map((k) => [k, 0])) as Record<StepKind, number>;
  const acks: number[] = [];
  const answers: number[] = [];
  const lags: number[] = [];
  const failures: string[] = [];
  const pending = new Set<Promise<void>>();
  const usersBefore = pool.size;
  let sent = 0;
  let measured = 0;
  let lost = 0;
  let sentLateHalf = 0;
  let answeredLateHalf = 0;
  let aborted = false;
  const cpuBefore = driver.botCpuMs?.();
  const ownBefore = process.cpuUsage();
  const start = performance.now();
  const from = start + leadInMs;
  const end = from + windowMs;
  const half = from + windowMs / 2;
  // More answers outstanding than the deadline's worth of sends: the queue already passed 3 s.
  const abortAt = Math.max(50, (rate * DEADLINE_MS) / 1000);

  const fire = (intended: number) => {
    const now = performance.now();
    lags.push(now - intended);
    const { user, step } = pool.take(now);
    sent++;
    const counted = intended >= from;
    if (counted) {
      kinds[step.kind]++;
      measured++;
    }
    const late = intended >= half;
    if (late) sentLateHalf++;
    const lose = (why: string) => {
      lost++;
      failures.push(`${step.kind}: ${why}`);
    };
    const work = driver.send(user, step).then(
      (seen) => {
        const at = performance.now();
        if (seen.failure) return lose(seen.failure);
        if (counted) {
          acks.push(seen.ackMs);
          answers.push(seen.answerMs);
        }
        if (late && at <= end) answeredLateHalf++;
        applySeen(user, step, seen);
        pool.release(user, at);
      },
      (err: unknown) => lose((err as Error).message.split('\n')[0]!),
    );
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  const total = Math.floor(((leadInMs + windowMs) * rate) / 1000);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) fire(start + (sent * 1000) / rate);
    if (pending.size > abortAt) {
      aborted = true;
      break;
    }
    await sleep(Math.max(0, start + (sent * 1000) / rate - performance.now()));
  }
  while (pending.size) await Promise.race(pending);
  const cpuAfter = driver.botCpuMs?.();
  const own = process.cpuUsage(ownBefore);
  const wall = performance.now() - start;
  driver.afterTrial?.();

  const pace = sentLateHalf ? answeredLateHalf / sentLateHalf : 1;
  const result: TrialResult = {
    rate,
    windowMs,
    sent: measured,
    answered: acks.length,
    lost,
    failures: failures.slice(0, 5),
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    answerP99: percentile(answers, 99),
    pace,
    aborted,
    sendLagP99: percentile(lags, 99),
    kinds,
    users: pool.size - usersBefore,
    botCpu: cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / wall : undefined,
    generatorCpu: (own.user + own.system) / 1000 / wall,
    passed: false,
  };
  result.passed = !aborted && lost === 0 && result.ackP99 < DEADLINE_MS && result.answerP99 < DEADLINE_MS && pace >= KEEP_PACE;
  return result;
}

export interface SearchOptions {
  /** The first rate tried (steps a second). */
  startRate: number;
  windowMs: number;
  /** Stop bisecting once the highest pass and lowest failure are this close (a fraction of the pass). */
  precision: number;
  maxTrials: number;
  /** Rest between trials, so one trial's leftovers (a checkpoint, GC) do not land in the next. */
  restMs?: number;
  /** An unrecorded trial at half the first rate, so start-up work (JIT, first reads) is not measured. */
  warmupMs?: number;
  /** Each trial's unmeasured lead-in at its rate (see runTrial). */
  leadInMs?: number;
  log?: (trial: TrialResult) => void;
}

export interface Capacity {
  /** The highest rate that passed, with its trial; undefined when even the lowest failed. */
  best: TrialResult | undefined;
  trials: TrialResult[];
}

/**
 * Waits until the bot is nearly idle (under 15% of a core over a quarter second, for up to 30 s):
 * a bot that fell behind keeps working through interactions whose users gave up, and the next
 * trial must not start behind that queue.
 */
async function quiet(driver: Driver): Promise<void> {
  const until = performance.now() + 30_000;
  while (performance.now() < until) {
    const before = driver.botCpuMs?.();
    const t = performance.now();
    await sleep(250);
    const after = driver.botCpuMs?.();
    if (before === undefined || after === undefined || (after - before) / (performance.now() - t) < 0.15) return;
  }
}

export interface PlatformCapacity {
  capacity: Capacity;
  /** Servers (guilds, workspaces) the users were spread over. */
  servers: number;
}

/**
 * The highest rate the bot sustains: doubling from startRate until a trial fails (halving when
 * the first fails), then bisecting between the highest pass and the lowest failure.
 */
export async function findCapacity(driver: Driver, pool: UserPool, options: SearchOptions): Promise<Capacity> {
  const trials: TrialResult[] = [];
  const trial = async (rate: number) => {
    await sleep(options.restMs ?? 500);
    await quiet(driver);
    const t = await runTrial(driver, pool, rate, options.windowMs, options.leadInMs);
    trials.push(t);
    options.log?.(t);
    return t;
  };
  if (options.warmupMs) await runTrial(driver, pool, Math.max(1, Math.round(options.startRate / 2)), options.warmupMs);
  let best: TrialResult | undefined;
  let failedAt: number | undefined;
  let rate = options.startRate;
  // Up: double while it passes. Down: halve while it fails.
  const first = await trial(rate);
  if (first.passed) {
    best = first;
    while (trials.length < options.maxTrials) {
      const t = await trial((rate *= 2));
      if (!t.passed) {
        failedAt = rate;
        break;
      }
      best = t;
    }
  } else {
    failedAt = rate;
    while (trials.length < options.maxTrials && rate > 2) {
      const t = await trial((rate = Math.max(1, Math.round(rate / 2))));
      if (t.passed) {
        best = t;
        break;
      }
      failedAt = rate;
    }
  }
  while (best && failedAt !== undefined && (failedAt - best.rate) / best.rate > options.precision && trials.length < options.maxTrials) {
    const mid = Math.round((best.rate + failedAt) / 2);
    const t = await trial(mid);
    if (t.passed) best = t;
    else failedAt = mid;
  }
  return { best, trials };
}

/** One line per trial, for the benchmark's progress output. */
export function describeTrial(name: string, t: TrialResult): string {
  const f = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : '–');
  return (
    `  ${name} ${t.rate}/s: ${t.passed ? 'pass' : 'FAIL'} — sent ${t.sent}, lost ${t.lost}, ack p50 ${f(t.ackP50)} ms p99 ${f(t.ackP99)} ms, answer p99 ${f(t.answerP99)} ms, ` +
    `pace ${(t.pace * 100).toFixed(0)}%${t.botCpu !== undefined ? `, bot CPU ${(t.botCpu * 100).toFixed(0)}%` : ''}, generator CPU ${(t.generatorCpu * 100).toFixed(0)}%, send lag p99 ${f(t.sendLagP99)} ms${t.aborted ? ', stopped early' : ''}${t.failures.length ? `; ${t.failures[0]}` : ''}\n`
  );
}
