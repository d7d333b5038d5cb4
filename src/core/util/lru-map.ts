/**
 * A Map that forgets its least recently used entries beyond `capacity`: the one bound for the
 * caches and per-user tables kept in memory (sessions, posts, users, rate limits).
 */
export class LruMap<K, V> {
  private map = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  /** The value, which becomes the most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
