import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { graphemes } from '../util/text.js';

/** Shared drawing helpers for the routing images: fonts, truncation, visible whitespace. */

export const FONT = '"DejaVu Sans", "Liberation Sans", Arial, sans-serif';
export const MONO = '"DejaVu Sans Mono", "Liberation Mono", monospace';
export const INK = '#1d2330';
export const MUTED = '#5c6473';
export const GRID = '#d9dde4';
/** Margin around every chart. */
export const PAD = 16;

export function font(size: number, weight: 'normal' | 'bold' = 'normal', family = FONT, style: 'normal' | 'italic' = 'normal'): string {
  return `${style === 'italic' ? 'italic ' : ''}${weight === 'bold' ? 'bold ' : ''}${size}px ${family}`;
}

/**
 * Text cut with an ellipsis to fit maxWidth at the context's current font. It is cut between
 * characters as people see them (graphemes), never inside an emoji sequence or a surrogate pair.
 */
export function fit(ctx: SKRSContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const parts = Array.from(graphemes.segment(text), (s) => s.segment);
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(parts.slice(0, mid).join('') + '…').width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return parts.slice(0, lo).join('') + '…';
}

/** A rectangle on a chart or card: its top-left corner and size, in pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A dashed straight line from (x1, y1) to (x2, y2); the context's own stroke settings are kept. */
export function dashedLine(ctx: SKRSContext2D, x1: number, y1: number, x2: number, y2: number, dash: readonly number[], color: string, width = 1): void {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash([...dash]);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
  ctx.restore();
}

/** A token's text with its whitespace made visible (spaces as ·, newlines as ⏎). */
export function visibleToken(text: string): string {
  const shown = text
    .replace(/\r?\n/g, '⏎')
    .replace(/\t/g, '⇥')
    .replace(/ /g, '·')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return shown || '∅';
}

/** A white canvas, its text drawn on the alphabetic baseline. */
export function whiteCanvas(width: number, height: number): { canvas: Canvas; ctx: SKRSContext2D } {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'alphabetic';
  return { canvas, ctx };
}

/** A white canvas with the chart's bold title in the top-left corner. */
export function titledCanvas(width: number, height: number, title: string): { canvas: Canvas; ctx: SKRSContext2D } {
  const { canvas, ctx } = whiteCanvas(width, height);
  ctx.fillStyle = INK;
  ctx.font = font(17, 'bold');
  ctx.fillText(fit(ctx, title, width - 2 * PAD), PAD, 28);
  return { canvas, ctx };
}
