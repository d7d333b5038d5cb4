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

/** Cuts text to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, Math.max(0, max - 1)).trimEnd() + '…';
}
