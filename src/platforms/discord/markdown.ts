import { escapeMarkup, parseMarkup, plainText, type Span } from '../../core/markup.js';

/**
 * The one renderer from the core's markup to Discord markdown. Text spans are escaped so that
 * user text (names, typed answers, imported questions) cannot become formatting, masked links or
 * mentions; only the core's own markup turns into Discord formatting.
 */

/** Characters Discord's markdown gives a meaning anywhere in a line. A backslash escapes any of them. */
const INLINE_SPECIAL = /[\\*_~`|<>[\]()]/g;
/** Markers that only mean something at the start of a line: headings, subtext, lists, quotes. */
const LINE_START = /^([ \t]*)(#|-|\+|\d+\.)/gm;
/** @everyone and @here ping whole channels; a zero-width space keeps them readable but inert. */
const MASS_MENTION = /@(everyone|here)/gi;
const ZWSP = '\u200b';

/** Escapes plain text so Discord shows it verbatim: no formatting, no links, no mentions. */
export function escapeDiscord(text: string): string {
  return text
    .replace(INLINE_SPECIAL, (c) => '\\' + c)
    .replace(LINE_START, (_m, space: string, marker: string) => space + marker.replace(/^(\d+)\./, '$1\\.').replace(/^([#+-])/, '\\$1'))
    .replace(MASS_MENTION, `@${ZWSP}$1`);
}

/** Inline code shows its text raw (no escapes apply inside), so backticks are swapped for a look-alike. */
function codeSpan(text: string): string {
  const inner = text.replace(/`/g, 'ˋ').replace(MASS_MENTION, `@${ZWSP}$1`);
  return inner.trim() === '' ? '' : '`' + inner + '`';
}

/** A link target Discord cannot misread: no brackets, spaces or angle brackets; `<…>` suppresses the preview. */
function safeUrl(url: string): string {
  return url.replace(/[()<>\s]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

function renderSpan(span: Span): string {
  switch (span.kind) {
    case 'text':
      return escapeDiscord(span.text);
    case 'bold':
      return span.text ? `**${escapeDiscord(span.text)}**` : '';
    case 'italic':
      return span.text ? `*${escapeDiscord(span.text)}*` : '';
    case 'code':
      return codeSpan(span.text);
    case 'link':
      return `[${escapeDiscord(span.text) || safeUrl(span.url)}](<${safeUrl(span.url)}>)`;
  }
}

/**
 * Markup → Discord markdown, at most `max` characters. A cut happens between spans or inside a
 * span's text (never inside an escape or a formatting marker) and ends with an ellipsis.
 */
export function renderMarkdown(source: string, max = Infinity): string {
  const spans = parseMarkup(source);
  const full = spans.map(renderSpan).join('');
  if (full.length <= max) return full;
  const room = max - 1; // for the ellipsis
  let out = '';
  for (const span of spans) {
    const rendered = renderSpan(span);
    if (out.length + rendered.length <= room) {
      out += rendered;
      continue;
    }
    // The longest prefix of the span's text whose rendering still fits (rendering only grows with the text).
    const left = room - out.length;
    const fits = (n: number) => renderSpan({ ...span, text: span.text.slice(0, n) }).length <= left;
    let [lo, hi] = [0, Math.min(span.text.length, left)];
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    if (lo > 0) out += renderSpan({ ...span, text: span.text.slice(0, lo) });
    break;
  }
  return out.trimEnd() + '…';
}

/** Plain text for places Discord does not format (button labels, select options, modal titles). */
export function plainLabel(source: string, max: number): string {
  const text = plainText(source).replace(/\s+/g, ' ').trim();
  return text.length <= max ? text : text.slice(0, max - 1).trimEnd() + '…';
}

/** A title (markup) as escaped Discord text: formatting is dropped, the words stay. */
export function renderTitle(source: string, max: number): string {
  return renderMarkdown(escapeMarkup(plainText(source).replace(/\s+/g, ' ').trim()), max);
}
