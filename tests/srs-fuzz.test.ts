import { describe, expect, it } from 'vitest';
import { grade } from '../src/core/quiz/srs.js';
import type { CardRow } from '../src/core/quiz/store.js';

/** A card answered right at each due time, `times` times, starting at `start`. */
function learn(questionId: string, times: number, start: Date): CardRow {
  let card: CardRow | undefined;
  let now = start;
  for (let i = 0; i < times; i++) {
    card = grade(card, 1, questionId, true, now).card;
    now = new Date(card.due);
  }
  return card!;
}

describe('FSRS fuzz', () => {
  it('spreads cards learned together over several days, the same way every time', () => {
    const start = new Date('2026-11-20T09:00:00Z');
    const ids = Array.from({ length: 30 }, (_, i) => `q${i}`);
    const dues = ids.map((id) => learn(id, 4, start).due);
    expect(new Set(dues).size).toBeGreaterThan(3);
    expect(ids.map((id) => learn(id, 4, start).due)).toEqual(dues);
    // Whole days all the same: every due time is the answer's time of day.
    for (const due of dues) expect((due - start.getTime()) % 86_400_000).toBe(0);
  });
});
