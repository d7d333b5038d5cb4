import cron from 'node-cron';
import type { Services } from '../services.js';
import { fitDue } from './fit.js';

/**
 * When the running bot looks for learners and servers due a fit: every hour, at 17 past. Most
 * hours find none (a history must grow by half between fits), and a pass that finds some runs
 * off the answering path (see fitDue).
 */
export const FIT_CRON = '17 * * * *';

/** Runs one fitting pass now and logs what it changed; never throws. */
export async function runFitPass(services: Services): Promise<void> {
  try {
    const outcomes = await fitDue(services);
    for (const o of outcomes) {
      services.logger.info(
        { scope: o.scope, key: o.key, reviews: o.reviews, logLossBefore: o.before.logLoss, logLossAfter: o.after.logLoss, kept: o.kept, reason: o.reason },
        'FSRS parameters fitted',
      );
    }
  } catch (err) {
    services.logger.error({ err }, 'FSRS fitting pass failed');
  }
}

/** Starts the hourly fitting job; returns its stop. */
export function startFitSchedule(services: Services): () => void {
  const task = cron.schedule(FIT_CRON, () => runFitPass(services), { name: 'srs-fit', noOverlap: true });
  return () => void task.stop();
}
