/** Edit distance between two short strings (names of columns and fields). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to a misspelt one ("anwser" → "answer"), if it is close enough. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase().slice(0, 64);
  let best: { name: string; distance: number } | undefined;
  for (const k of known) {
    const d = editDistance(lower, k);
    if (!best || d < best.distance) best = { name: k, distance: d };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}
