import type { SKRSContext2D } from '@napi-rs/canvas';
import { fit, font, GRID, INK, MUTED, PAD, whiteCanvas } from '../moe/draw.js';
import { css, type Rgb } from '../moe/palette.js';
import { flagWords, QUESTION_FLAGS, type QuestionFigures } from './question-analysis.js';
import { percent } from '../util/text.js';

/**
 * The flagged questions as horizontal bars, one row per question: its share right (facility) on a
 * 0–100 % scale with the too-hard and too-easy zones shaded, and its discrimination on a −1…+1 scale
 * around zero. Drawn large (text of 17 px and more on a 980 px wide image) so that it still reads
 * when Discord or Slack shows it at half size in the channel.
 */

export const CHART_WIDTH = 980;
export const ROW_H = 58;
const HEADER_H = 128;
const FOOTER_H = 56;
const LABEL_W = 340;
const FAC_X = PAD + LABEL_W + 12;
const FAC_W = 270;
const DISC_X = FAC_X + FAC_W + 40;
const DISC_W = CHART_WIDTH - DISC_X - PAD - 8;
const BAR_H = 26;

export const FACILITY_COLOR: Rgb = [31, 119, 180];
export const OFF_RANGE_COLOR: Rgb = [230, 120, 20];
export const GOOD_DISC_COLOR: Rgb = [44, 160, 44];
export const WEAK_DISC_COLOR: Rgb = [150, 150, 150];
export const NEGATIVE_DISC_COLOR: Rgb = [214, 39, 40];
const ZONE = '#fbe7d3';
/** Discrimination from this value up is usually called good (Ebel's rule of thumb). */
const GOOD_DISCRIMINATION = 0.2;

export interface AnalysisChartLayout {
  width: number;
  height: number;
  /** Where row i's facility bar and discrimination bar lie. */
  facilityBar(i: number): { x: number; y: number; w: number; h: number };
  discriminationBar(i: number): { x: number; y: number; w: number; h: number } | undefined;
}

const facX = (v: number) => FAC_X + Math.round(v * FAC_W);
const discX = (v: number) => DISC_X + Math.round(((v + 1) / 2) * DISC_W);

export function analysisChartLayout(rows: readonly QuestionFigures[]): AnalysisChartLayout {
  const rowY = (i: number) => HEADER_H + i * ROW_H + Math.floor((ROW_H - BAR_H) / 2);
  return {
    width: CHART_WIDTH,
    height: HEADER_H + Math.max(1, rows.length) * ROW_H + FOOTER_H,
    facilityBar: (i) => ({ x: FAC_X, y: rowY(i), w: Math.max(1, facX(rows[i]!.facility) - FAC_X), h: BAR_H }),
    discriminationBar(i) {
      const d = rows[i]!.discrimination;
      if (d === null) return undefined;
      const zero = discX(0);
      const end = discX(d);
      return { x: Math.min(zero, end), y: rowY(i), w: Math.max(1, Math.abs(end - zero)), h: BAR_H };
    },
  };
}

export const discriminationColor = (d: number): Rgb => (d < 0 ? NEGATIVE_DISC_COLOR : d >= GOOD_DISCRIMINATION ? GOOD_DISC_COLOR : WEAK_DISC_COLOR);
export const facilityColor = (q: QuestionFigures): Rgb => (q.flags.includes('too hard') || q.flags.includes('too easy') ? OFF_RANGE_COLOR : FACILITY_COLOR);


const signed = (v: number) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(2);

function valueLabel(ctx: SKRSContext2D, text: string, x: number, y: number, inside: boolean, color: string): void {
  ctx.fillStyle = color;
  ctx.textAlign = inside ? 'right' : 'left';
  ctx.fillText(text, x + (inside ? -6 : 6), y);
  ctx.textAlign = 'left';
}

/** The chart as a PNG. `subtitle` says whose answers and which part of the list it shows. */
export async function renderAnalysisChart(rows: readonly QuestionFigures[], subtitle: string): Promise<Buffer> {
  const g = analysisChartLayout(rows);
  const { canvas, ctx } = whiteCanvas(g.width, g.height);
  ctx.textBaseline = 'middle';

  ctx.fillStyle = INK;
  ctx.font = font(26, 'bold');
  ctx.fillText(fit(ctx, 'Flagged questions', g.width - 2 * PAD), PAD, 26);
  ctx.fillStyle = MUTED;
  ctx.font = font(18);
  ctx.fillText(fit(ctx, subtitle, g.width - 2 * PAD), PAD, 58);

  // Panel headings.
  ctx.fillStyle = INK;
  ctx.font = font(20, 'bold');
  ctx.fillText('Share right', FAC_X, 98);
  ctx.fillText('Discrimination', DISC_X, 98);
  ctx.fillText('Question', PAD, 98);

  const top = HEADER_H - 6;
  const bottom = HEADER_H + Math.max(1, rows.length) * ROW_H + 6;
  // Too hard and too easy zones.
  ctx.fillStyle = ZONE;
  ctx.fillRect(FAC_X, top, facX(QUESTION_FLAGS.tooHard) - FAC_X, bottom - top);
  ctx.fillRect(facX(QUESTION_FLAGS.tooEasy), top, FAC_X + FAC_W - facX(QUESTION_FLAGS.tooEasy), bottom - top);
  // Grid lines.
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  for (const v of [0, 0.5, 1]) {
    ctx.beginPath();
    ctx.moveTo(facX(v) + 0.5, top);
    ctx.lineTo(facX(v) + 0.5, bottom);
    ctx.stroke();
  }
  for (const v of [-1, -0.5, 0.5, 1]) {
    ctx.beginPath();
    ctx.moveTo(discX(v) + 0.5, top);
    ctx.lineTo(discX(v) + 0.5, bottom);
    ctx.stroke();
  }
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(discX(0), top);
  ctx.lineTo(discX(0), bottom);
  ctx.stroke();

  rows.forEach((q, i) => {
    const y0 = HEADER_H + i * ROW_H;
    if (i % 2 === 1) {
      ctx.fillStyle = 'rgba(29, 35, 48, 0.04)';
      ctx.fillRect(0, y0, g.width, ROW_H);
    }
    // Label: the question's id, then its flags and number of learners.
    ctx.fillStyle = INK;
    ctx.font = font(19, 'bold');
    ctx.fillText(fit(ctx, q.shownId, LABEL_W), PAD, y0 + 19);
    ctx.font = font(17);
    ctx.fillStyle = q.flags.includes('dubious') ? css(NEGATIVE_DISC_COLOR) : css(OFF_RANGE_COLOR);
    ctx.fillText(fit(ctx, flagWords(q, true).join(', '), LABEL_W), PAD, y0 + 41);

    ctx.font = font(18, 'bold');
    const fb = g.facilityBar(i);
    ctx.fillStyle = css(facilityColor(q));
    ctx.fillRect(fb.x, fb.y, fb.w, fb.h);
    const facInside = fb.w > 110;
    valueLabel(ctx, `${percent(q.facility)} of ${q.attempts}`, fb.x + fb.w, fb.y + BAR_H / 2 + 1, facInside, facInside ? '#ffffff' : INK);

    const db = g.discriminationBar(i);
    if (!db || q.discrimination === null) {
      ctx.fillStyle = MUTED;
      ctx.font = font(16, 'normal', undefined, 'italic');
      ctx.fillText('not defined', discX(0) + 8, y0 + ROW_H / 2 + 1);
      return;
    }
    ctx.fillStyle = css(discriminationColor(q.discrimination));
    ctx.fillRect(db.x, db.y, db.w, db.h);
    // The value sits beyond the bar's end, away from the zero line.
    const d = q.discrimination;
    const text = signed(d);
    const tw = ctx.measureText(text).width;
    const outsideRoom = d >= 0 ? DISC_X + DISC_W - (db.x + db.w) : db.x - DISC_X;
    const yMid = db.y + BAR_H / 2 + 1;
    if (outsideRoom >= tw + 8) {
      ctx.fillStyle = INK;
      ctx.textAlign = d >= 0 ? 'left' : 'right';
      ctx.fillText(text, d >= 0 ? db.x + db.w + 6 : db.x - 6, yMid);
    } else {
      ctx.fillStyle = '#ffffff';
      ctx.textAlign = d >= 0 ? 'right' : 'left';
      ctx.fillText(text, d >= 0 ? db.x + db.w - 6 : db.x + 6, yMid);
    }
    ctx.textAlign = 'left';
  });

  if (rows.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.font = font(18, 'normal', undefined, 'italic');
    ctx.fillText('No flagged questions.', PAD, HEADER_H + ROW_H / 2);
  }

  // Axes.
  ctx.fillStyle = MUTED;
  ctx.font = font(17);
  ctx.textAlign = 'center';
  const axisY = bottom + 16;
  for (const v of [0, QUESTION_FLAGS.tooHard, QUESTION_FLAGS.tooEasy]) ctx.fillText(percent(v), Math.min(Math.max(facX(v), FAC_X + 14), FAC_X + FAC_W - 10), axisY);
  for (const v of [-1, 0, 1]) ctx.fillText(v === 0 ? '0' : signed(v).replace('.00', ''), Math.min(Math.max(discX(v), DISC_X + 10), DISC_X + DISC_W - 10), axisY);
  ctx.textAlign = 'left';
  ctx.font = font(16);
  ctx.fillText(fit(ctx, `shaded: too hard (≤ ${percent(QUESTION_FLAGS.tooHard)}) and too easy (≥ ${percent(QUESTION_FLAGS.tooEasy)})`, FAC_W + LABEL_W), PAD, axisY + 22);
  ctx.textAlign = 'right';
  ctx.fillText('red: negative (dubious)', g.width - PAD, axisY + 22);
  ctx.textAlign = 'left';
  // encode, not toBuffer: toBuffer's memory is not given back (about 2.6 MB a chart, without bound).
  return canvas.encode('png');
}
