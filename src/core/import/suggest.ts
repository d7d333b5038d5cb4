import { editDistance } from '../util/text.js';

/** The known name closest to a misspelt one ("anwser" → "answer"), if it is close enough. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase().slice(0, 64);
  let best: { name: string; distance: number } | undefined;
  for (const k of known) {
    const d = editDistance(lower, k, 8);
    if (!best || d < best.distance) best = { name: k, distance: d };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}
