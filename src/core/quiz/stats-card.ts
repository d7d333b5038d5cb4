import type { SKRSContext2D } from '@napi-rs/canvas';
import { fit, whiteCanvas } from '../moe/draw.js';
import { css, type Rgb } from '../moe/palette.js';
import {
  CARD_ACCENT,
  CARD_GOOD,
  CARD_INK,
  CARD_MUTED,
  CARD_PAD,
  CARD_TRACK,
  CARD_WARN,
  CARD_WIDTH,
  cardFont,
  type CardText,
  drawName,
  fillRect,
  roundRect,
  SMALL,
  type Rect,
} from './card-draw.js';
import { CALENDAR_WEEKS, FORECAST_DAYS, lessonsForCard, RETENTION_DAYS, type LessonMastery, type StatsFigures } from './stats-figures.js';
import { percent } from '../util/text.js';

/**
 * The /stats card: the due forecast and true retention side by side, the activity calendar of the
 * last 26 weeks under them, mastery per lesson at the bottom. It draws the figures of
 * stats-figures.ts and computes none; where each mark goes is statsCardLayout's to say, so that
 * what is drawn can be checked against the figures.
 */

export const STATS_CARD_HEIGHT = 826;

const HEADER_H = 96;
const PANEL_W = (CARD_WIDTH - 3 * CARD_PAD) / 2;
const ROW_A = { y: HEADER_H, h: 250 };
const ROW_B = { y: ROW_A.y + ROW_A.h, h: 236 };
const ROW_C = { y: ROW_B.y + ROW_B.h, h: STATS_CARD_HEIGHT - ROW_B.y - ROW_B.h };
const RIGHT_X = CARD_PAD * 2 + PANEL_W;

/** Forecast bars: one per day, today in the warning colour (it holds the overdue cards too). */
const BARS = { x: CARD_PAD, top: ROW_A.y + 112, bottom: ROW_A.y + 206, w: PANEL_W };
const BAR_PITCH = BARS.w / FORECAST_DAYS;
export const FORECAST_COLOR: Rgb = CARD_ACCENT;
export const TODAY_COLOR: Rgb = CARD_WARN;

/** Retention gauge, 0 to 100 %. */
const GAUGE = { x: RIGHT_X, y: ROW_A.y + 156, w: PANEL_W, h: 30 };
export const ON_TARGET_COLOR: Rgb = CARD_GOOD;
export const BELOW_TARGET_COLOR: Rgb = CARD_WARN;
/** Within this of the desired retention counts as on target. */
const TARGET_SLACK = 0.02;

/** Calendar: weeks as columns, Monday to Sunday as rows. */
const CAL = { x: CARD_PAD + 64, y: ROW_B.y + 48, pitch: 26, cell: 22 };
/** Answers a day from which each shade of green starts (GitHub's palette). */
const CALENDAR_LEVELS: readonly { from: number; color: Rgb }[] = [
  { from: 0, color: [235, 237, 240] },
  { from: 1, color: [155, 233, 168] },
  { from: 5, color: [64, 196, 99] },
  { from: 10, color: [48, 161, 78] },
  { from: 20, color: [33, 110, 57] },
];

/** Mastery rows: the lesson's title, a bar (mastered, then met), the share mastered. */
const MASTERY = { labelW: 390, barX: CARD_PAD + 406, barW: 250, barH: 22, rowH: 38, top: ROW_C.y + 50 };
export const MASTERED_COLOR: Rgb = CARD_GOOD;
export const SEEN_COLOR: Rgb = [134, 239, 172];

export function calendarColor(answers: number): Rgb {
  let color = CALENDAR_LEVELS[0]!.color;
  for (const level of CALENDAR_LEVELS) if (answers >= level.from) color = level.color;
  return color;
}

const retentionColor = (rate: number, desired: number): Rgb => (rate >= desired - TARGET_SLACK ? ON_TARGET_COLOR : BELOW_TARGET_COLOR);

export interface StatsCardLayout {
  width: number;
  height: number;
  /** Forecast day i's bar; undefined when nothing is due that day. */
  forecastBar(i: number): Rect | undefined;
  /** Calendar day i's cell (i indexes figures.calendar). */
  calendarCell(i: number): Rect;
  /** The filled part of the retention gauge; undefined without reviews. */
  retentionFill(): Rect | undefined;
  /** Where the desired retention's mark stands on the gauge. */
  goalX: number;
  /** The lessons with a bar (see lessonsForCard). */
  lessons: LessonMastery[];
  /** Lesson i's (of `lessons`) mastered part and its met-but-not-mastered part (undefined when empty). */
  masteryBars(i: number): { mastered?: Rect; seen?: Rect; track: Rect };
}

const gaugeX = (rate: number) => GAUGE.x + Math.round(Math.min(1, Math.max(0, rate)) * GAUGE.w);

export function statsCardLayout(f: StatsFigures): StatsCardLayout {
  const peak = Math.max(1, ...f.forecast.map((d) => d.due));
  const barH = BARS.bottom - BARS.top;
  const lessons = lessonsForCard(f.mastery);
  return {
    width: CARD_WIDTH,
    height: STATS_CARD_HEIGHT,
    forecastBar(i) {
      const due = f.forecast[i]!.due;
      if (due === 0) return undefined;
      const h = Math.max(4, Math.round((due / peak) * barH));
      return { x: Math.round(BARS.x + i * BAR_PITCH + 1), y: BARS.bottom - h, w: Math.max(3, Math.floor(BAR_PITCH) - 3), h };
    },
    calendarCell(i) {
      return { x: CAL.x + Math.floor(i / 7) * CAL.pitch, y: CAL.y + (i % 7) * CAL.pitch, w: CAL.cell, h: CAL.cell };
    },
    retentionFill() {
      const { rate } = f.retention;
      if (rate === null) return undefined;
      return { x: GAUGE.x, y: GAUGE.y, w: Math.max(2, gaugeX(rate) - GAUGE.x), h: GAUGE.h };
    },
    goalX: gaugeX(f.retention.desired),
    masteryBars(i) {
      const l = lessons[i]!;
      const y = MASTERY.top + i * MASTERY.rowH + (MASTERY.rowH - MASTERY.barH) / 2 - 8;
      const track = { x: MASTERY.barX, y, w: MASTERY.barW, h: MASTERY.barH };
      const width = (n: number) => Math.round((n / Math.max(1, l.questions)) * MASTERY.barW);
      const m = width(l.mastered);
      const s = width(l.seen) - m;
      return {
        track,
        mastered: m > 0 ? { ...track, w: m } : undefined,
        seen: s > 0 ? { ...track, x: track.x + m, w: s } : undefined,
      };
    },
    lessons,
  };
}


function heading(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth: number): void {
  ctx.fillStyle = CARD_INK;
  ctx.font = cardFont(26, 'bold');
  ctx.fillText(fit(ctx, text, maxWidth), x, y);
}

function note(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth: number, align: 'left' | 'right' | 'center' = 'left'): void {
  ctx.fillStyle = CARD_MUTED;
  ctx.font = cardFont(SMALL);
  ctx.textAlign = align;
  ctx.fillText(fit(ctx, text, maxWidth), x, y);
  ctx.textAlign = 'left';
}

/** Colour swatches with their words, right-aligned to x. */
function legend(ctx: SKRSContext2D, items: [Rgb, string][], right: number, y: number): void {
  ctx.font = cardFont(SMALL);
  let x = right;
  for (const [color, word] of [...items].reverse()) {
    const w = ctx.measureText(word).width;
    x -= w;
    ctx.fillStyle = CARD_MUTED;
    ctx.fillText(word, x, y);
    x -= 26;
    roundRect(ctx, { x, y: y - 18, w: 18, h: 18 }, 3, css(color));
    x -= 18;
  }
}

/** The card as a PNG, encoded off the main thread. */
export function renderStatsCard(f: StatsFigures, words: CardText): Promise<Buffer> {
  const g = statsCardLayout(f);
  const { canvas, ctx } = whiteCanvas(g.width, g.height);
  const fresh = f.calendar.every((d) => d.answers === 0) && f.cards.total === 0;

  // Header: whose stats, and the streak.
  ctx.fillStyle = CARD_INK;
  ctx.font = cardFont(36, 'bold');
  drawName(ctx, f.name, CARD_PAD, 50, 470, 'Your stats');
  note(ctx, fresh ? 'Welcome! Your first quiz starts a streak.' : `Your stats · ${f.timeZone}`, CARD_PAD, 84, 500);
  ctx.textAlign = 'right';
  ctx.font = cardFont(36, 'bold');
  ctx.fillStyle = f.streak.current > 0 ? css(CARD_WARN) : CARD_MUTED;
  ctx.fillText(`${f.streak.current} day${f.streak.current === 1 ? '' : 's'}`, CARD_WIDTH - CARD_PAD, 50);
  note(ctx, `streak · best ${f.streak.best}`, CARD_WIDTH - CARD_PAD, 84, 260, 'right');
  ctx.textAlign = 'left';
  fillRect(ctx, { x: CARD_PAD, y: HEADER_H - 2, w: CARD_WIDTH - 2 * CARD_PAD, h: 2 }, css(CARD_TRACK));

  // Due forecast.
  heading(ctx, `Due, next ${FORECAST_DAYS} days`, CARD_PAD, ROW_A.y + 38, PANEL_W);
  note(ctx, f.dueInForecast ? `${f.cards.dueToday} today · ${f.dueInForecast} in all` : 'Nothing due yet', CARD_PAD, ROW_A.y + 70, PANEL_W);
  fillRect(ctx, { x: BARS.x, y: BARS.bottom, w: BARS.w, h: 2 }, CARD_MUTED);
  f.forecast.forEach((_, i) => {
    const bar = g.forecastBar(i);
    if (bar) fillRect(ctx, bar, css(i === 0 ? TODAY_COLOR : FORECAST_COLOR));
  });
  // The highest bar carries its count.
  const bar = g.forecastBar(f.busiestDay);
  if (bar) {
    ctx.font = cardFont(SMALL, 'bold');
    ctx.fillStyle = CARD_INK;
    ctx.textAlign = 'center';
    ctx.fillText(String(f.forecast[f.busiestDay]!.due), Math.min(Math.max(bar.x + bar.w / 2, BARS.x + 16), BARS.x + BARS.w - 16), bar.y - 6);
    ctx.textAlign = 'left';
  }
  note(ctx, 'today', BARS.x, BARS.bottom + 32, 120);
  note(ctx, `+${FORECAST_DAYS - 1} days`, BARS.x + BARS.w, BARS.bottom + 32, 160, 'right');

  // True retention against the desired retention.
  const { rate, desired, reviews } = f.retention;
  heading(ctx, 'True retention', RIGHT_X, ROW_A.y + 38, PANEL_W);
  ctx.font = cardFont(60, 'bold');
  ctx.fillStyle = rate === null ? CARD_MUTED : css(retentionColor(rate, desired));
  const big = rate === null ? '—' : percent(rate);
  ctx.fillText(big, RIGHT_X, ROW_A.y + 128);
  const bigW = ctx.measureText(big).width + 14;
  note(ctx, rate === null ? 'no due reviews yet' : `of ${reviews} due`, RIGHT_X + bigW, ROW_A.y + 96, PANEL_W - bigW);
  note(ctx, rate === null ? `in ${RETENTION_DAYS} days` : `last ${RETENTION_DAYS} days`, RIGHT_X + bigW, ROW_A.y + 126, PANEL_W - bigW);
  roundRect(ctx, { x: GAUGE.x, y: GAUGE.y, w: GAUGE.w, h: GAUGE.h }, 6, css(CARD_TRACK));
  const fill = g.retentionFill();
  if (fill && rate !== null) roundRect(ctx, fill, 6, css(retentionColor(rate, desired)));
  fillRect(ctx, { x: g.goalX - 2, y: GAUGE.y - 8, w: 4, h: GAUGE.h + 16 }, CARD_INK);
  const goal = `goal ${percent(desired)}`;
  ctx.font = cardFont(SMALL, 'bold');
  const goalW = ctx.measureText(goal).width;
  ctx.fillStyle = CARD_INK;
  ctx.fillText(goal, Math.min(Math.max(g.goalX - goalW / 2, GAUGE.x), GAUGE.x + GAUGE.w - goalW), GAUGE.y + GAUGE.h + 36);

  // Activity calendar.
  const weeks = `Last ${CALENDAR_WEEKS} weeks`;
  heading(ctx, weeks, CARD_PAD, ROW_B.y + 32, 300);
  note(ctx, f.activeDays ? `${f.activeDays} day${f.activeDays === 1 ? '' : 's'} with answers` : 'no answers yet', CARD_WIDTH - CARD_PAD, ROW_B.y + 32, 420, 'right');
  ctx.font = cardFont(SMALL);
  ctx.fillStyle = CARD_MUTED;
  for (const [row, label] of [[0, 'Mon'], [2, 'Wed'], [4, 'Fri']] as const) ctx.fillText(label, CARD_PAD, CAL.y + row * CAL.pitch + CAL.cell - 2);
  f.calendar.forEach((d, i) => {
    const cell = g.calendarCell(i);
    roundRect(ctx, cell, 4, css(calendarColor(d.answers)));
  });
  // Today, outlined.
  const today = g.calendarCell(f.calendar.length - 1);
  ctx.strokeStyle = CARD_INK;
  ctx.lineWidth = 2;
  ctx.strokeRect(today.x - 2, today.y - 2, today.w + 4, today.h + 4);

  // Mastery per lesson.
  const shown = g.lessons;
  heading(ctx, f.mastery.length > shown.length ? `Mastered, by lesson (${shown.length} of ${f.mastery.length})` : 'Mastered, by lesson', CARD_PAD, ROW_C.y + 32, 440);
  if (shown.length) legend(ctx, [[MASTERED_COLOR, 'mastered'], [SEEN_COLOR, 'met']], CARD_WIDTH - CARD_PAD, ROW_C.y + 32);
  if (shown.length === 0) {
    note(ctx, `Nothing yet: take ${words.quizCommand} to start.`, CARD_PAD, MASTERY.top + 30, CARD_WIDTH - 2 * CARD_PAD);
  }
  shown.forEach((l, i) => {
    const bars = g.masteryBars(i);
    ctx.font = cardFont(SMALL);
    ctx.fillStyle = CARD_INK;
    drawName(ctx, l.title, CARD_PAD, bars.track.y + MASTERY.barH - 2, MASTERY.labelW, 'Lesson');
    roundRect(ctx, bars.track, 4, css(CARD_TRACK));
    if (bars.seen) fillRect(ctx, bars.seen, css(SEEN_COLOR));
    if (bars.mastered) fillRect(ctx, bars.mastered, css(MASTERED_COLOR));
    ctx.font = cardFont(SMALL, 'bold');
    ctx.fillStyle = CARD_INK;
    ctx.textAlign = 'right';
    ctx.fillText(percent(l.mastered / Math.max(1, l.questions)), CARD_WIDTH - CARD_PAD, bars.track.y + MASTERY.barH - 2);
    ctx.textAlign = 'left';
  });
  return canvas.encode('png');
}
