import type { Command } from 'commander';
import type { App } from './app.js';
import { UserError } from './core/errors.js';
import { quizStore } from './core/quiz/store.js';
import { fitDue, MIN_TRAIN_ITEMS, type FitOutcome } from './core/srs/fit.js';

/**
 * `quizbot srs fit`: fits FSRS parameters now, for every learner (and server) with enough reviews
 * or for one learner, and prints what the defaults and the fitted parameters predict.
 */

type WithApp = <T>(fn: (app: App) => T | Promise<T>, options?: { level?: string }) => Promise<T>;

const LEARNER = /^(discord|slack|terminal):(.{1,100})$/;

function fixed(n: number): string {
  return n.toFixed(4);
}

/** Learners' figures together: reviews summed, the metrics weighted by each learner's training items. */
function overall(outcomes: FitOutcome[]) {
  const items = outcomes.reduce((n, o) => n + o.items, 0);
  const mean = (pick: (o: FitOutcome) => number) => (items ? outcomes.reduce((sum, o) => sum + pick(o) * o.items, 0) / items : 0);
  return {
    learners: outcomes.length,
    kept: outcomes.filter((o) => o.kept).length,
    reviews: outcomes.reduce((n, o) => n + o.reviews, 0),
    items,
    defaults: { logLoss: mean((o) => o.defaults.logLoss), rmseBins: mean((o) => o.defaults.rmseBins) },
    fitted: { logLoss: mean((o) => o.after.logLoss), rmseBins: mean((o) => o.after.rmseBins) },
  };
}

function record(o: FitOutcome) {
  return {
    scope: o.scope,
    learner: o.label,
    reviews: o.reviews,
    items: o.items,
    defaults: o.defaults,
    before: o.before,
    fitted: o.after,
    kept: o.kept,
    ...(o.reason ? { reason: o.reason } : {}),
  };
}

export function registerSrsCommands(program: Command, withApp: WithApp): void {
  const srs = program.command('srs').description('spaced repetition: per-learner FSRS parameters');
  srs
    .command('fit')
    .description(
      `fit FSRS-6 parameters now to each learner's reviews (and each server's, for learners with too few), from ${MIN_TRAIN_ITEMS} training items on; print log loss and RMSE (bins) with the defaults and with the fitted parameters, and whether they were kept (kept only when their log loss is lower than that of the parameters in use)`,
    )
    .option('--user <platform:id>', 'only this learner, e.g. discord:123456789 or terminal:amy')
    .option('--json', 'print JSON: one object per learner and server, and the learners overall')
    .action((opts: { user?: string; json?: boolean }, cmd: Command) => {
      let wanted: { platform: string; externalId: string } | undefined;
      if (opts.user !== undefined) {
        const m = LEARNER.exec(opts.user.trim());
        if (!m) cmd.error(`error: --user must look like discord:<user id>, slack:<user id> or terminal:<name>, not "${opts.user}"`);
        wanted = { platform: m![1]!, externalId: m![2]! };
      }
      return withApp(async (app) => {
        let userId: number | undefined;
        if (wanted) {
          userId = quizStore(app.services).q<[string, string], { id: number }>('SELECT id FROM users WHERE platform = ? AND external_id = ?').get(wanted.platform, wanted.externalId)?.id;
          if (userId === undefined) throw new UserError(`There is no learner ${wanted.platform}:${wanted.externalId}.`);
        }
        const outcomes = await fitDue(app.services, { userId, force: true });
        const learners = outcomes.filter((o) => o.scope === 'user');
        const servers = outcomes.filter((o) => o.scope === 'tenant');
        const summary = overall(learners);
        if (opts.json) return void process.stdout.write(JSON.stringify({ minItems: MIN_TRAIN_ITEMS, learners: learners.map(record), servers: servers.map(record), overall: summary }, null, 2) + '\n');
        if (outcomes.length === 0) {
          return console.log(wanted ? `${opts.user} has too few reviews to fit (${MIN_TRAIN_ITEMS} training items needed).` : `No learner has enough reviews to fit yet (${MIN_TRAIN_ITEMS} training items needed).`);
        }
        for (const o of outcomes) {
          console.log(
            `${o.scope === 'user' ? 'learner' : 'server'} ${o.label}: ${o.reviews} reviews (${o.items} items); log loss ${fixed(o.defaults.logLoss)} with the defaults, ${fixed(o.after.logLoss)} fitted; RMSE (bins) ${fixed(o.defaults.rmseBins)} → ${fixed(o.after.rmseBins)}; ${o.kept ? 'kept' : `not kept: ${o.reason}`}`,
          );
        }
        if (learners.length) {
          console.log(
            `\nOverall, ${summary.learners} learner${summary.learners === 1 ? '' : 's'}, ${summary.reviews} reviews: log loss ${fixed(summary.defaults.logLoss)} with the defaults, ${fixed(summary.fitted.logLoss)} fitted; RMSE (bins) ${fixed(summary.defaults.rmseBins)} → ${fixed(summary.fitted.rmseBins)}; ${summary.kept} kept.`,
          );
        }
      }, { level: 'warn' });
    });
}
