/**
 * The core's light markup: `**bold**`, `_italic_`, `` `code` ``, `[label](https://url)` and line
 * breaks. Core code writes replies with the `md` tagged template, which escapes every interpolated
 * value, so user text can never become markup. Each platform renders the parsed spans with its
 * own escaping (see each adapter's renderer): this file is the one place that decides what is
 * markup and what is text.
 */

export type Span =
  | { kind: 'text'; text: string }
  | { kind: 'bold'; text: string }
  | { kind: 'italic'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'link'; text: string; url: string };

const SPECIAL = /[\\*_`[\]()]/g;

/** Escapes text so that parseMarkup returns it verbatim as plain text. */
export function escapeMarkup(text: string): string {
  return text.replace(SPECIAL, (c) => '\\' + c);
}

/** A value already in markup: `md` interpolates it as is. */
export class Markup {
  constructor(readonly source: string) {}
  toString(): string {
    return this.source;
  }
}

export function raw(source: string): Markup {
  return new Markup(source);
}

/** Tagged template: literal parts are markup, interpolated values are escaped text. */
export function md(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += v instanceof Markup ? v.source : escapeMarkup(String(v));
    out += strings[i + 1] ?? '';
  });
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Finds the index of the next unescaped `close` in `s` from `from`, or -1. */
function findClose(s: string, close: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s.startsWith(close, i)) return i;
  }
  return -1;
}

export function parseMarkup(source: string): Span[] {
  const spans: Span[] = [];
  let buffer = '';
  const flush = () => {
    if (buffer) spans.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\' && i + 1 < source.length) {
      buffer += source[++i];
      continue;
    }
    if (source.startsWith('**', i)) {
      const end = findClose(source, '**', i + 2);
      if (end > i + 2) {
        flush();
        spans.push({ kind: 'bold', text: unescape(source.slice(i + 2, end)) });
        i = end + 1;
        continue;
      }
    } else if (c === '_' || c === '`') {
      const end = findClose(source, c, i + 1);
      if (end > i + 1) {
        flush();
        spans.push({ kind: c === '_' ? 'italic' : 'code', text: unescape(source.slice(i + 1, end)) });
        i = end;
        continue;
      }
    } else if (c === '[') {
      const mid = findClose(source, '](', i + 1);
      const end = mid > 0 ? findClose(source, ')', mid + 2) : -1;
      const url = end > 0 ? source.slice(mid + 2, end) : '';
      if (end > 0 && /^https?:\/\/\S+$/.test(url)) {
        flush();
        spans.push({ kind: 'link', text: unescape(source.slice(i + 1, mid)), url });
        i = end;
        continue;
      }
    }
    buffer += c;
  }
  flush();
  return spans;
}

/** Plain text of a markup string (for logs, terminal fallbacks and notifications). */
export function plainText(source: string): string {
  return parseMarkup(source)
    .map((s) => (s.kind === 'link' ? `${s.text} (${s.url})` : s.text))
    .join('');
}
