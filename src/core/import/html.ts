import { compile, type FormatCallback } from 'html-to-text';

/**
 * HTML fields (Moodle's [html] GIFT text, Anki's exports, Open Trivia DB's entity-encoded text)
 * as plain text: line breaks kept, tags dropped, entities decoded, media named. Only for reading
 * text out; nothing here is ever rendered.
 */

export interface HtmlText {
  text: string;
  /** Files the field shows or plays (`<img src>`, `<audio src>`, Anki's `[sound:…]`), in order. */
  media: string[];
}

/** Filled by the `media` formatter during one (synchronous) conversion. */
let found: string[] = [];

const collectMedia: FormatCallback = (elem) => {
  const src = (elem as { attribs?: Record<string, string> }).attribs?.src?.trim();
  if (src) found.push(src);
};

const heading = (h: string) => ({ selector: h, options: { uppercase: false, leadingLineBreaks: 1, trailingLineBreaks: 1 } });

const convert = compile({
  wordwrap: false,
  // A bound on nesting: a hostile field of thousands of nested tags cannot exhaust the stack.
  limits: { maxDepth: 64, ellipsis: '…' },
  formatters: { media: collectMedia },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'media' },
    { selector: 'audio', format: 'media' },
    { selector: 'video', format: 'media' },
    { selector: 'source', format: 'media' },
    { selector: 'hr', format: 'lineBreak' },
    { selector: 'p', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map(heading),
  ],
});

const SOUND = /\[sound:([^\]\n]*)\]/g;

/** Text and media of an HTML field. */
export function readHtml(html: string): HtmlText {
  // Anki's sound references are its own markup, not HTML: named, then removed.
  if (!/[<&]/.test(html)) return plainMedia(html);
  const sounds = [...html.matchAll(SOUND)].map((m) => m[1]!.trim()).filter(Boolean);
  found = [];
  const text = convert(html.replace(SOUND, ''));
  const media = [...found, ...sounds];
  found = [];
  return { text: tidy(text), media };
}

export function htmlToText(html: string): string {
  return readHtml(html).text;
}

/** Media named in plain text: Anki's `[sound:…]` survives an export without HTML. */
export function plainMedia(text: string): HtmlText {
  const media = [...text.matchAll(SOUND)].map((m) => m[1]!.trim()).filter(Boolean);
  return { text: tidy(text.replace(SOUND, '')), media };
}

function tidy(text: string): string {
  return text
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Whether a field looks like HTML rather than text that merely mentions a '<'. */
export function looksLikeHtml(s: string): boolean {
  return /<\/?(p|br|div|span|b|i|u|em|strong|li|ul|ol|img|a|sub|sup|h\d|hr|audio|video|font|table)\b[^>]*>/i.test(s) || /&(amp|lt|gt|nbsp|quot|#\d+|#x[0-9a-f]+|[a-z]{2,8});/i.test(s);
}
