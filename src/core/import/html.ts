/**
 * HTML fields (Moodle's [html] GIFT text, Anki's exports) as plain text: line breaks kept,
 * tags dropped, entities decoded. Only for reading text out; nothing here is ever rendered.
 */

const NAMED = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
]);

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : whole;
    }
    return NAMED.get(code.toLowerCase()) ?? whole;
  });
}

export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(br|\/p|\/div|\/li|\/h\d)\b[^>]*>/gi, '\n')
      .replace(/<[^>]*>/g, '')
      .replace(/\[sound:[^\]]*\]/g, ''),
  )
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Whether a field looks like HTML rather than text that merely mentions a '<'. */
export function looksLikeHtml(s: string): boolean {
  return /<\/?(p|br|div|span|b|i|u|em|strong|li|ul|ol|img|a|sub|sup|h\d)\b[^>]*>/i.test(s) || /&(amp|lt|gt|nbsp|quot|#\d+);/i.test(s);
}
