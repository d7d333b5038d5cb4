import { LruMap } from '../../core/util/lru-map.js';

/**
 * The delivery ids handled recently, so a retried delivery (Slack re-sends with
 * `x-slack-retry-num` when an ack is late) is acknowledged but not handled twice. Bounded: the
 * oldest ids go first.
 */
export class SeenDeliveries {
  private ids: LruMap<string, true>;

  constructor(capacity = 10_000) {
    this.ids = new LruMap(capacity);
  }

  /** True the first time an id is seen; false for a repeat. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, true);
    return true;
  }
}
