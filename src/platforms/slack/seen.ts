/**
 * The delivery ids handled recently, so a retried delivery (Slack re-sends with
 * `x-slack-retry-num` when an ack is late) is acknowledged but not handled twice. Bounded: the
 * oldest ids go first.
 */
export class SeenDeliveries {
  private ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is seen; false for a repeat. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
