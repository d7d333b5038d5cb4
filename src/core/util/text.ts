/** Lowercase, accents removed, punctuation dropped, whitespace collapsed: for comparing answers and prompts. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** URL- and id-safe slug of a title: "What AI cannot do" → "what-ai-cannot-do". */
export function slugify(s: string): string {
  return normalizeText(s).replace(/ /g, '-').slice(0, 64) || 'section';
}

/** Splits text into characters as people see them (graphemes): an emoji sequence or a letter with its marks is one. */
export const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts text to at most `max` characters (UTF-16 units), ending with an ellipsis when cut: never inside a grapheme. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  for (const { segment } of graphemes.segment(s)) {
    if (out.length + segment.length > max - 1) break;
    out += segment;
  }
  return out.trimEnd() + '…';
}

/** Alt text of an image: control characters out, cut to at most `max` characters (see truncate). */
export function altText(text: string, max = 1000): string {
  return truncate(text.replace(/\p{Cc}+/gu, ' '), max);
}

/** Damerau–Levenshtein (optimal string alignment) distance, stopping early past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
  }
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = v;
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/** A share (0 to 1) as a whole percentage: 0.256 → "26%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
