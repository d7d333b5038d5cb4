import type { SKRSContext2D } from '@napi-rs/canvas';
import { fit, whiteCanvas } from '../moe/draw.js';
import { css, type Rgb } from '../moe/palette.js';
import { plainText } from '../markup.js';
import { CARD_ACCENT, CARD_INK, CARD_MUTED, CARD_PAD, CARD_TRACK, CARD_WARN, CARD_WIDTH, cardFont, drawName, type CardText, fillRect, roundRect, SMALL, wrapLines, type Rect } from './card-draw.js';
import type { BoardRow, BoardView } from './leaderboard.js';

/**
 * The /leaderboard card: the top 10 with a bar each, the reader's row highlighted (and shown below
 * the top 10, after a gap, when ranked lower), and the period in the header. It draws a BoardView
 * (leaderboard.ts) and computes nothing; leaderboardCardLayout says where each row goes.
 */

const HEADER_H = 112;
const ROW_H = 50;
const GAP_H = 34;
const FOOTER_H = 64;
/** A footer of two lines: why the reader is not on the board. */
const NOTE_H = 100;
const EMPTY_H = 150;
const NAME_X = CARD_PAD + 60;
const NAME_W = 400;
const BAR = { x: NAME_X + NAME_W + 16, w: 170, h: 22 };

export const BAR_COLOR: Rgb = CARD_ACCENT;
export const MY_BAR_COLOR: Rgb = CARD_WARN;
export const MY_ROW_COLOR: Rgb = [255, 237, 213];
const MEDAL_COLORS: readonly Rgb[] = [
  [212, 160, 23],
  [140, 146, 158],
  [180, 83, 9],
];

export interface LeaderboardCardLayout {
  width: number;
  height: number;
  /** The rows drawn, top to bottom: the top 10, then the reader's own row when ranked lower. */
  rows: BoardRow[];
  row(i: number): Rect;
  bar(i: number): Rect;
}

export function leaderboardCardLayout(view: BoardView): LeaderboardCardLayout {
  const rows = [...view.top];
  const meBelow = view.me !== undefined && !view.top.includes(view.me);
  if (meBelow) rows.push(view.me!);
  const best = Math.max(...rows.map((r) => r.score), 0);
  const rowY = (i: number) => HEADER_H + i * ROW_H + (meBelow && i === rows.length - 1 ? GAP_H : 0);
  const body = view.empty ? EMPTY_H : rows.length * ROW_H + (meBelow ? GAP_H : 0);
  return {
    width: CARD_WIDTH,
    height: HEADER_H + body + (view.note ? NOTE_H : FOOTER_H),
    rows,
    row: (i) => ({ x: CARD_PAD / 2, y: rowY(i), w: CARD_WIDTH - CARD_PAD, h: ROW_H }),
    bar(i) {
      const share = best > 0 ? rows[i]!.score / best : 0;
      return { x: BAR.x, y: rowY(i) + (ROW_H - BAR.h) / 2, w: Math.max(4, Math.round(share * BAR.w)), h: BAR.h };
    },
  };
}

function rankMark(ctx: SKRSContext2D, rank: number, cx: number, cy: number): void {
  const medal = MEDAL_COLORS[rank - 1];
  ctx.textAlign = 'center';
  if (medal) {
    ctx.fillStyle = css(medal);
    ctx.beginPath();
    ctx.arc(cx, cy, 18, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#ffffff';
    ctx.font = cardFont(SMALL, 'bold');
    ctx.fillText(String(rank), cx, cy + 9);
  } else {
    ctx.fillStyle = CARD_MUTED;
    ctx.font = cardFont(rank > 999 ? 18 : SMALL, 'bold');
    ctx.fillText(fit(ctx, String(rank), 56), cx, cy + 9);
  }
  ctx.textAlign = 'left';
}

/** The card as a PNG, encoded off the main thread. */
export function renderLeaderboardCard(view: BoardView, words: CardText): Promise<Buffer> {
  const g = leaderboardCardLayout(view);
  const { canvas, ctx } = whiteCanvas(g.width, g.height);

  ctx.fillStyle = CARD_INK;
  ctx.font = cardFont(36, 'bold');
  ctx.fillText(view.groups ? 'Study groups' : 'Leaderboard', CARD_PAD, 50);
  ctx.fillStyle = CARD_MUTED;
  ctx.font = cardFont(SMALL);
  const sub = view.groups ? view.label : `${view.where} · ${view.label}`;
  ctx.fillText(fit(ctx, sub.charAt(0).toUpperCase() + sub.slice(1), 460), CARD_PAD, 86);
  // The reader's rank, top right.
  ctx.textAlign = 'right';
  if (view.me) {
    ctx.fillStyle = css(CARD_WARN);
    ctx.font = cardFont(36, 'bold');
    ctx.fillText(`#${view.me.rank}`, CARD_WIDTH - CARD_PAD, 50);
    ctx.fillStyle = CARD_MUTED;
    ctx.font = cardFont(SMALL);
    ctx.fillText(view.groups ? 'your group' : 'your rank', CARD_WIDTH - CARD_PAD, 86);
  } else if (view.note) {
    ctx.fillStyle = CARD_MUTED;
    ctx.font = cardFont(28, 'bold');
    ctx.fillText('not ranked', CARD_WIDTH - CARD_PAD, 50);
  }
  ctx.textAlign = 'left';
  fillRect(ctx, { x: CARD_PAD, y: HEADER_H - 10, w: CARD_WIDTH - 2 * CARD_PAD, h: 2 }, css(CARD_TRACK));

  if (view.empty) {
    ctx.fillStyle = CARD_INK;
    ctx.font = cardFont(28);
    wrapLines(ctx, plainText(view.empty), CARD_WIDTH - 2 * CARD_PAD, 3).forEach((line, i) => ctx.fillText(line, CARD_PAD, HEADER_H + 40 + i * 40));
  }

  g.rows.forEach((r, i) => {
    const box = g.row(i);
    const mid = box.y + box.h / 2;
    if (r.mine) roundRect(ctx, box, 10, css(MY_ROW_COLOR));
    if (i > 0 && i === view.top.length) {
      // The reader's own row, ranked below the top: a gap with an ellipsis says so.
      ctx.fillStyle = CARD_MUTED;
      ctx.font = cardFont(SMALL, 'bold');
      ctx.textAlign = 'center';
      ctx.fillText('⋯', CARD_PAD + 30, box.y - 8);
      ctx.textAlign = 'left';
    }
    rankMark(ctx, r.rank, CARD_PAD + 30, mid);
    ctx.fillStyle = CARD_INK;
    ctx.font = cardFont(26, r.mine ? 'bold' : 'normal');
    drawName(ctx, r.name, NAME_X, mid + 9, NAME_W, view.groups ? 'A group' : '(name not shown)');
    fillRect(ctx, g.bar(i), css(r.mine ? MY_BAR_COLOR : BAR_COLOR));
    ctx.fillStyle = CARD_INK;
    ctx.font = cardFont(26, 'bold');
    ctx.textAlign = 'right';
    ctx.fillText(fit(ctx, r.shown, CARD_WIDTH - CARD_PAD - (BAR.x + BAR.w) - 12), CARD_WIDTH - CARD_PAD, mid + 9);
    ctx.textAlign = 'left';
  });

  // Footer: why the reader is not on the board, or how to climb it.
  ctx.fillStyle = CARD_MUTED;
  ctx.font = cardFont(SMALL);
  if (view.note) {
    const lines = wrapLines(ctx, plainText(view.note), CARD_WIDTH - 2 * CARD_PAD, 2);
    lines.forEach((line, i) => ctx.fillText(line, CARD_PAD, g.height - NOTE_H + 40 + i * 34));
  } else if (!view.empty) {
    ctx.fillText(fit(ctx, view.groups ? 'Ranked by points per active member.' : `Answer due questions with ${words.quizCommand} to climb.`, CARD_WIDTH - 2 * CARD_PAD), CARD_PAD, g.height - FOOTER_H + 40);
  }
  return canvas.encode('png');
}
