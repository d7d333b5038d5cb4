import { parentPort } from 'node:worker_threads';
import { computeParameters, FSRSBinding, FSRSBindingItem, FSRSBindingReview } from '@open-spaced-repetition/binding';
import type { FitRequest, FitResponse } from './fit-thread.js';
import { trainingItems, unpackHistories, type ItemReviews } from './history.js';

/**
 * The fitting thread: fsrs-rs (through its Node binding) fits parameters to training items and
 * evaluates parameter sets on evaluation items. Evaluation runs synchronously in the binding, so
 * it runs here, away from the thread that answers learners.
 */

const toItems = (items: ItemReviews[]) => items.map((reviews) => new FSRSBindingItem(reviews.map(([rating, deltaT]) => new FSRSBindingReview(rating, deltaT))));

async function handle(req: FitRequest): Promise<FitResponse> {
  const histories = unpackHistories(req.histories);
  const [from, to] = req.trainDays ?? [-Infinity, Infinity];
  const train = toItems(trainingItems(histories, from, to));
  const evaluation = req.evalDays === undefined ? train : toItems(trainingItems(histories, req.evalDays[0], req.evalDays[1]));
  const fitted = req.fit ? await computeParameters(train, { enableShortTerm: false }) : undefined;
  const sets = fitted ? [...req.evaluate, fitted] : req.evaluate;
  const metrics = sets.map((w) => {
    const { logLoss, rmseBins } = new FSRSBinding(w === null ? undefined : [...w]).evaluate(evaluation);
    return { logLoss, rmseBins };
  });
  return { fitted, metrics };
}

parentPort!.on('message', (msg: { id: number; req: FitRequest }) => {
  handle(msg.req).then(
    (res) => parentPort!.postMessage({ id: msg.id, res }),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
