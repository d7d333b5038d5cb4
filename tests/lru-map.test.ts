import { describe, expect, it } from 'vitest';
import { LruMap } from '../src/core/util/lru-map.js';

describe('LruMap', () => {
  it('forgets the least recently used entry beyond its capacity; reading an entry keeps it', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect([m.has('a'), m.has('b'), m.has('c'), m.size]).toEqual([true, false, true, 2]);
    m.set('a', 10).set('d', 4);
    expect([m.get('a'), m.has('c'), m.get('d')]).toEqual([10, false, 4]);
    expect(m.delete('a')).toBe(true);
    m.clear();
    expect(m.size).toBe(0);
  });
});
