import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { fit, font, type Rect } from '../moe/draw.js';

export type { Rect } from '../moe/draw.js';
import type { Rgb } from '../moe/palette.js';
import { LruMap } from '../util/lru-map.js';
import { graphemes } from '../util/text.js';

/**
 * What the learner cards (/stats, /leaderboard) share: an 800 px wide white card whose smallest
 * text is 24 px, so that it still reads at about 12 px when Discord or Slack shows it 400 px wide;
 * dark ink on white; and names drawn as safely as they can be: right-to-left names laid out right
 * to left, anything no installed font can draw (an emoji without an emoji font) left out rather
 * than drawn as empty boxes, long names cut with an ellipsis.
 */

export const CARD_WIDTH = 800;
export const CARD_PAD = 24;
/** The smallest text on a card. */
export const SMALL = 24;

/** Emoji fonts come after the text fonts: where one is installed, emoji in names are drawn in colour. */
const CARD_FONT = '"DejaVu Sans", "Liberation Sans", Arial, "Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", sans-serif';

export const CARD_INK = '#111827';
export const CARD_MUTED = '#4b5563';
export const CARD_TRACK: Rgb = [229, 231, 235];
export const CARD_ACCENT: Rgb = [37, 99, 235];
export const CARD_GOOD: Rgb = [21, 128, 61];
export const CARD_WARN: Rgb = [194, 65, 12];

/** The words a card holds that differ by platform. */
export interface CardText {
  /** How a learner starts a quiz on their platform (/quiz). */
  quizCommand: string;
}

export const cardFont = (size: number, weight: 'normal' | 'bold' = 'normal'): string => font(size, weight, CARD_FONT);

/** Explicit direction marks and overrides: a name may not turn the text around it. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Code points drawn as nothing by design: spaces, combining marks, joiners, variation selectors. */
const NOT_A_GLYPH = /^[\s\p{M}\p{Cf}]$/u;
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;

/** Whether each code point met so far can be drawn with the installed fonts. */
const drawable = new LruMap<number, boolean>(4096);
const PROBE = { w: 72, h: 48, size: 32 };
let missingGlyph: Buffer | undefined;

function probe(text: string): Buffer {
  const canvas = createCanvas(PROBE.w, PROBE.h);
  const ctx = canvas.getContext('2d');
  ctx.font = cardFont(PROBE.size);
  ctx.fillStyle = '#000000';
  ctx.fillText(text, 4, PROBE.size + 4);
  return Buffer.from(ctx.getImageData(0, 0, PROBE.w, PROBE.h).data);
}

/**
 * Whether some installed font draws this code point: drawn alone, it must look different from a
 * code point no font has (a private-use one of plane 16), which every font draws as its "missing"
 * box or not at all.
 */
function canDraw(codePoint: number): boolean {
  let known = drawable.get(codePoint);
  if (known === undefined) {
    missingGlyph ??= probe(String.fromCodePoint(0x10fffd));
    known = !probe(String.fromCodePoint(codePoint)).equals(missingGlyph);
    drawable.set(codePoint, known);
  }
  return known;
}

/**
 * A name as a card can draw it: control characters and direction overrides removed, every
 * character (grapheme) that holds a code point no installed font has left out, spaces collapsed.
 * Empty when nothing drawable is left.
 */
export function drawableText(text: string): string {
  const kept: string[] = [];
  for (const { segment } of graphemes.segment(text.replace(/\p{Cc}/gu, ' ').replace(BIDI_CONTROLS, ''))) {
    const ok = Array.from(segment).every((ch) => NOT_A_GLYPH.test(ch) || canDraw(ch.codePointAt(0)!));
    if (ok) kept.push(segment);
  }
  return kept.join('').replace(/\s+/g, ' ').trim();
}

/** Whether text reads right to left: its first letter is of a right-to-left script. */
function isRightToLeft(text: string): boolean {
  const first = /\p{L}/u.exec(text);
  return first !== null && RTL_SCRIPT.test(first[0]);
}

/**
 * Draws a user-given text (a name, a title) from x, cut to maxWidth, in its own direction: a
 * right-to-left name reads right to left and its ellipsis sits at its left end. Returns what was
 * drawn; `fallback` is drawn (in the muted colour) when nothing of the text can be.
 */
export function drawName(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth: number, fallback: string): string {
  const shown = drawableText(text);
  const saved = { direction: ctx.direction, align: ctx.textAlign, fill: ctx.fillStyle };
  ctx.textAlign = 'left';
  if (shown) ctx.direction = isRightToLeft(shown) ? 'rtl' : 'ltr';
  else ctx.fillStyle = CARD_MUTED;
  const out = fit(ctx, shown || fallback, maxWidth);
  ctx.fillText(out, x, y);
  ctx.direction = saved.direction;
  ctx.textAlign = saved.align;
  ctx.fillStyle = saved.fill;
  return out;
}

export function fillRect(ctx: SKRSContext2D, r: Rect, color: string): void {
  ctx.fillStyle = color;
  ctx.fillRect(r.x, r.y, r.w, r.h);
}

/** A filled rectangle with rounded corners. */
export function roundRect(ctx: SKRSContext2D, r: Rect, radius: number, color: string): void {
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.roundRect(r.x, r.y, r.w, r.h, Math.min(radius, r.w / 2, r.h / 2));
  ctx.fill();
}

/** Text broken into lines of at most maxWidth at the context's font (at most `maxLines`, the last cut with an ellipsis). */
export function wrapLines(ctx: SKRSContext2D, text: string, maxWidth: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (!line || ctx.measureText(next).width <= maxWidth) {
      line = next;
      continue;
    }
    lines.push(line);
    line = word;
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines.map((l) => fit(ctx, l, maxWidth));
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = fit(ctx, `${kept[maxLines - 1]} ${lines.slice(maxLines).join(' ')}`, maxWidth);
  return kept.map((l) => fit(ctx, l, maxWidth));
}
