import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Services } from '../services.js';
import { quizStore, type QuizStore } from '../quiz/store.js';
import { FitThread, type Metrics } from './fit-thread.js';
import { cardHistories, itemCount, packHistories, reviewCount, type CardHistory } from './history.js';
import { keptParameters, unusableParameters, type FitScope } from './parameters.js';

/**
 * When a history is worth fitting, from fsrs-rs's own thresholds (src/training.rs,
 * `compute_parameters`): after dropping items without a review a day or more after an earlier one
 * (`prepare_training_data`), fewer than 8 items give back the default parameters unchanged, and
 * fewer than 64 only the pre-trained initial stabilities (which a fit without short-term memory
 * then keeps frozen). So a learner, or a server, is fitted from 64 training items on.
 */
export const MIN_TRAIN_ITEMS = 64;
/** A scope is fitted again once the reviews behind its last fit have grown by half. */
export const REFIT_GROWTH = 1.5;

export interface FitOutcome {
  scope: FitScope;
  /** The user id or the tenant. */
  key: string;
  /** `<platform>:<id>` of a learner, the tenant of a server. */
  label: string;
  reviews: number;
  items: number;
  /** FSRS-6's defaults, the parameters in use before (the same when none were fitted), the fitted ones. */
  defaults: Metrics;
  before: Metrics;
  after: Metrics;
  kept: boolean;
  reason?: string;
}

interface Target {
  scope: FitScope;
  key: string;
  label: string;
  /** Reads the scope's histories, yielding between learners. */
  histories(): Promise<CardHistory[]>;
}

function userHistories(store: QuizStore, userId: number): CardHistory[] {
  return cardHistories(
    store
      .q<[number], { questionId: string; rating: number; localDay: string }>(
        'SELECT question_id questionId, rating, local_day localDay FROM reviews WHERE user_id = ? AND was_due = 1 ORDER BY question_id, answered_at, id',
      )
      .iterate(userId),
  );
}

const dueReviews = (store: QuizStore, userId: number) => store.q<[number], { n: number }>('SELECT count(*) n FROM reviews WHERE user_id = ? AND was_due = 1').get(userId)!.n;

function lastFitReviews(store: QuizStore, scope: FitScope, key: string): number | undefined {
  return store.q<[FitScope, string], { reviews: number }>('SELECT reviews FROM srs_fits WHERE scope = ? AND key = ? ORDER BY fitted_at DESC, id DESC LIMIT 1').get(scope, key)?.reviews;
}

/** Whether a scope with `reviews` reviews is due a fit: enough to fit, and half again what the last fit used. */
function dueFit(store: QuizStore, scope: FitScope, key: string, reviews: number): boolean {
  const last = lastFitReviews(store, scope, key);
  return last === undefined || reviews >= last * REFIT_GROWTH;
}

async function tenantHistories(store: QuizStore, tenant: string): Promise<CardHistory[]> {
  const out: CardHistory[] = [];
  for (const { userId } of store.q<[string], { userId: number }>('SELECT user_id userId FROM members WHERE tenant = ? ORDER BY user_id').all(tenant)) {
    for (const h of userHistories(store, userId)) out.push(h);
    await yieldToEvents();
  }
  return out;
}

export interface FitOptions {
  /** Only this learner (a user id), and not their servers. */
  userId?: number;
  /** Fit even when the history has not grown by half since the last fit (still from MIN_TRAIN_ITEMS). */
  force?: boolean;
  /** Whether to fit servers too (default: yes, unless one learner is named). */
  tenants?: boolean;
  /** Whether to fit learners (default: yes). */
  users?: boolean;
}

/** The learners and servers to consider, cheapest checks first, yielding between learners. */
async function* targets(store: QuizStore, opts: FitOptions): AsyncGenerator<Target> {
  const users =
    opts.userId !== undefined
      ? store.q<[number], { id: number; platform: string; externalId: string }>('SELECT id, platform, external_id externalId FROM users WHERE id = ?').all(opts.userId)
      : store.q<[], { id: number; platform: string; externalId: string }>('SELECT id, platform, external_id externalId FROM users ORDER BY id').all();
  for (const u of opts.users === false ? [] : users) {
    const n = dueReviews(store, u.id);
    await yieldToEvents();
    if (n < MIN_TRAIN_ITEMS || (!opts.force && !dueFit(store, 'user', String(u.id), n))) continue;
    yield { scope: 'user', key: String(u.id), label: `${u.platform}:${u.externalId}`, histories: async () => userHistories(store, u.id) };
  }
  if (opts.tenants === false || (opts.tenants === undefined && opts.userId !== undefined)) return;
  for (const { tenant } of store.q<[], { tenant: string }>('SELECT DISTINCT tenant FROM members ORDER BY tenant').all()) {
    // Counted learner by learner (an index read each), yielding as it goes: one count over a large
    // server's reviews would hold the answering thread for tens of milliseconds.
    let n = 0;
    const members = store.q<[string], { userId: number }>('SELECT user_id userId FROM members WHERE tenant = ?').all(tenant);
    for (let i = 0; i < members.length; i++) {
      n += dueReviews(store, members[i]!.userId);
      if (i % 50 === 49) await yieldToEvents();
    }
    await yieldToEvents();
    if (n < MIN_TRAIN_ITEMS || (!opts.force && !dueFit(store, 'tenant', tenant, n))) continue;
    yield { scope: 'tenant', key: tenant, label: tenant, histories: () => tenantHistories(store, tenant) };
  }
}

/**
 * Fits one scope's history: fsrs-rs fits parameters; the parameters in use (the scope's last kept
 * fit, or the defaults) and the fitted ones are evaluated on the same items (the whole history),
 * and the fitted ones are kept only when their log loss is lower. Every fit is recorded.
 */
async function fitOne(services: Services, thread: FitThread, t: Target): Promise<FitOutcome | undefined> {
  const store = quizStore(services);
  const histories = await t.histories();
  const items = itemCount(histories);
  if (items < MIN_TRAIN_ITEMS) return undefined;
  const reviews = reviewCount(histories);
  const current = keptParameters(store, t.scope, t.key);
  const res = await thread.run({ histories: packHistories(histories), evaluate: current ? [null, current] : [null], fit: true });
  const defaults = res.metrics[0]!;
  const before = current ? res.metrics[1]! : defaults;
  const after = res.metrics.at(-1)!;
  const fitted = res.fitted ?? [];
  let reason = unusableParameters(fitted);
  if (reason) services.logger.warn({ scope: t.scope, key: t.key, reason }, 'fitted FSRS parameters refused');
  else if (!(after.logLoss < before.logLoss)) reason = 'the fitted parameters did not lower the log loss';
  const outcome: FitOutcome = { scope: t.scope, key: t.key, label: t.label, reviews, items, defaults, before, after, kept: reason === undefined, ...(reason ? { reason } : {}) };
  await store.writes.run(() => {
    store
      .q('INSERT INTO srs_fits (scope, key, parameters, reviews, log_loss_before, rmse_before, log_loss_after, rmse_after, kept, reason, fitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(t.scope, t.key, JSON.stringify(fitted), outcome.reviews, before.logLoss, before.rmseBins, after.logLoss, after.rmseBins, outcome.kept ? 1 : 0, reason ?? null, services.clock.now().getTime());
  });
  return outcome;
}

/** One pass at a time per bot: a cron tick that finds one running skips. */
const running = new WeakMap<Services, Promise<FitOutcome[]>>();

/**
 * Fits every learner and server that is due a fit (see MIN_TRAIN_ITEMS and REFIT_GROWTH), off the
 * answering path: reads yield between learners, fitting and evaluation run on a thread of their
 * own. Returns what each fit found.
 */
export function fitDue(services: Services, opts: FitOptions = {}): Promise<FitOutcome[]> {
  const already = running.get(services);
  if (already) return already;
  const pass = (async () => {
    const thread = new FitThread();
    const out: FitOutcome[] = [];
    try {
      for await (const t of targets(quizStore(services), opts)) {
        try {
          const o = await fitOne(services, thread, t);
          if (o) out.push(o);
        } catch (err) {
          services.logger.error({ err, scope: t.scope, key: t.key }, 'FSRS fit failed');
        }
      }
    } finally {
      await thread.close();
      running.delete(services);
    }
    return out;
  })();
  running.set(services, pass);
  return pass;
}
