import { errorInfo } from './errors.js';
import type { SlackBridge } from './listeners.js';
import type { RequestLog } from './request-log.js';

/**
 * Runs the work of an acknowledged delivery once: a repeat of the same delivery (Slack retries
 * when an ack is late) is logged and dropped, a failure is logged (the ack has gone; nobody else
 * would see it), and the work is tracked so a shutdown waits for it.
 */
export async function handleOnce(
  bridge: SlackBridge,
  delivery: { key: string; kind: string; log: RequestLog; retry?: { retryNum?: number; retryReason?: string } },
  work: () => Promise<void>,
): Promise<void> {
  const { key, kind, log, retry } = delivery;
  if (!bridge.seen.firstTime(key)) {
    log.info(retry ? { retryNum: retry.retryNum, retryReason: retry.retryReason } : {}, `slack: repeated ${kind} acknowledged, not handled again`);
    return;
  }
  const running = work().catch((err: unknown) => log.error({ err: errorInfo(err) }, `slack ${kind} failed`));
  bridge.track(running);
  await running;
}
