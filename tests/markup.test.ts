import { describe, expect, it } from 'vitest';
import { md, parseMarkup, plainText, raw } from '../src/core/markup.js';

describe('markup', () => {
  it('parses bold, italic, code and links', () => {
    expect(parseMarkup('a **b** _c_ `d` [e](https://x.y/z)')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'bold', text: 'b' },
      { kind: 'text', text: ' ' },
      { kind: 'italic', text: 'c' },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'd' },
      { kind: 'text', text: ' ' },
      { kind: 'link', text: 'e', url: 'https://x.y/z' },
    ]);
  });

  it('escapes interpolated user text so it stays text', () => {
    const name = '**boss** [click](https://evil.example) _x_ `y` \\';
    const spans = parseMarkup(md`Hi **${name}**!`);
    expect(spans).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'bold', text: name },
      { kind: 'text', text: '!' },
    ]);
  });

  it('keeps raw() markup and leaves unmatched markers as text', () => {
    expect(plainText(md`${raw('**x**')} and * alone _ and [no link](javascript:alert)`)).toBe('x and * alone _ and [no link](javascript:alert)');
  });
});
