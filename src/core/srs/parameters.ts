import { DEFAULT_RETENTION, FSRS6_PARAMETER_COUNT, type Scheduling } from '../quiz/srs.js';
import type { QuizStore } from '../quiz/store.js';
import type { Tenant } from '../tenant.js';

/** Desired retention a learner may choose in /settings. */
export const MIN_RETENTION = 0.7;
export const MAX_RETENTION = 0.97;

export type FitScope = 'user' | 'tenant';

/**
 * Why a parameter set cannot schedule with ts-fsrs's FSRS-6, or undefined when it can. fsrs-rs
 * (the binding) and ts-fsrs 5 both speak FSRS-6: 21 numbers, the last the forgetting curve's decay.
 */
export function unusableParameters(w: unknown): string | undefined {
  if (!Array.isArray(w)) return 'the parameters are not a list';
  if (w.length !== FSRS6_PARAMETER_COUNT) return `FSRS-6 takes ${FSRS6_PARAMETER_COUNT} parameters; the fit gave ${w.length}`;
  if (!w.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'a fitted parameter is not a finite number';
  return undefined;
}

/** The parameters a scope schedules with now: its newest kept fit, if usable. */
export function keptParameters(store: QuizStore, scope: FitScope, key: string): number[] | undefined {
  const row = store
    .q<[FitScope, string], { parameters: string }>('SELECT parameters FROM srs_fits WHERE scope = ? AND key = ? AND kept = 1 ORDER BY fitted_at DESC, id DESC LIMIT 1')
    .get(scope, key);
  if (!row) return undefined;
  let w: unknown;
  try {
    w = JSON.parse(row.parameters);
  } catch {
    return undefined;
  }
  return unusableParameters(w) === undefined ? (w as number[]) : undefined;
}

/** A learner's desired retention: their /settings choice, or 0.90. */
export function desiredRetention(store: QuizStore, userId: number): number {
  return store.q<[number], { r: number | null }>('SELECT desired_retention r FROM users WHERE id = ?').get(userId)?.r ?? DEFAULT_RETENTION;
}

/**
 * What a learner's answers in a tenant are scheduled with: their own fitted parameters, else those
 * fitted over the tenant's learners, else FSRS-6's defaults; and their desired retention.
 */
export function learnerScheduling(store: QuizStore, userId: number, tenant: Tenant): Scheduling {
  const parameters = keptParameters(store, 'user', String(userId)) ?? keptParameters(store, 'tenant', tenant);
  return { parameters, retention: desiredRetention(store, userId) };
}
