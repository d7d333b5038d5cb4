/**
 * Review histories as FSRS sees them. Each card's reviews, oldest first, become one training item
 * per review after the first: the rating (right → Good 3, wrong or "I don't know" → Again 1) and
 * the whole learner days since the card's previous review (0 for its first review). Only reviews
 * that moved the card's schedule (was_due) count, as the scheduler saw them.
 */

/** One review: its rating and the learner day it was given on (days since 1970-01-01). */
export interface DayReview {
  rating: number;
  day: number;
}

/** A card's reviews, oldest first. */
export type CardHistory = DayReview[];

/** [rating, deltaT] pairs of one training item, the last one being the review predicted. */
export type ItemReviews = [rating: number, deltaT: number][];

/** The day number of a learner day key (YYYY-MM-DD). */
export function dayNumber(localDay: string): number {
  const [y, m, d] = localDay.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000);
}

/** Groups review rows (sorted by card, then time) into card histories. */
export function cardHistories(rows: Iterable<{ questionId: string; rating: number; localDay: string }>): CardHistory[] {
  const out: CardHistory[] = [];
  let card: string | undefined;
  let current: CardHistory = [];
  for (const r of rows) {
    if (r.questionId !== card) {
      if (current.length) out.push(current);
      current = [];
      card = r.questionId;
    }
    current.push({ rating: r.rating === 1 ? 1 : 3, day: dayNumber(r.localDay) });
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * The training items of some histories: one per review that came a day or more after the card's
 * previous one (a same-day repeat says nothing a day-based model can predict), and only those whose
 * review fell on a day in [fromDay, toDay). Each item holds the card's reviews up to that one.
 */
export function trainingItems(histories: readonly CardHistory[], fromDay = -Infinity, toDay = Infinity): ItemReviews[] {
  const items: ItemReviews[] = [];
  for (const h of histories) {
    const pairs: ItemReviews = h.map((r, i) => [r.rating, i === 0 ? 0 : r.day - h[i - 1]!.day]);
    for (let i = 1; i < h.length; i++) {
      const day = h[i]!.day;
      if (pairs[i]![1] > 0 && day >= fromDay && day < toDay) items.push(pairs.slice(0, i + 1));
    }
  }
  return items;
}

/** Reviews in some histories. */
export const reviewCount = (histories: readonly CardHistory[]) => histories.reduce((n, h) => n + h.length, 0);

/** Histories in three flat arrays, handed to the fitting thread without copying. */
export interface PackedHistories {
  ratings: Uint8Array;
  days: Int32Array;
  /** Where each card's reviews start, and the end of the last card's. */
  starts: Int32Array;
}

export function packHistories(histories: readonly CardHistory[]): PackedHistories {
  const n = reviewCount(histories);
  const ratings = new Uint8Array(n);
  const days = new Int32Array(n);
  const starts = new Int32Array(histories.length + 1);
  let i = 0;
  histories.forEach((h, c) => {
    starts[c] = i;
    for (const r of h) {
      ratings[i] = r.rating;
      days[i++] = r.day;
    }
  });
  starts[histories.length] = i;
  return { ratings, days, starts };
}

export function unpackHistories(p: PackedHistories): CardHistory[] {
  const out: CardHistory[] = [];
  for (let c = 0; c + 1 < p.starts.length; c++) {
    const h: CardHistory = [];
    for (let i = p.starts[c]!; i < p.starts[c + 1]!; i++) h.push({ rating: p.ratings[i]!, day: p.days[i]! });
    out.push(h);
  }
  return out;
}

/** How many training items some histories make (see trainingItems), without making them. */
export function itemCount(histories: readonly CardHistory[]): number {
  let n = 0;
  for (const h of histories) for (let i = 1; i < h.length; i++) if (h[i]!.day > h[i - 1]!.day) n++;
  return n;
}
