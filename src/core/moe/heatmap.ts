import type { SKRSContext2D } from '@napi-rs/canvas';
import { GRID, INK, MONO, MUTED, dashedLine, fit, font, titledCanvas, PAD, visibleToken, type Rect } from './draw.js';
import { css, expertColor, textOn } from './palette.js';
import type { RouteResponse } from './protocol.js';
import { layerLoads, type LayerLoad } from './summary.js';
import { percent } from '../util/text.js';

/**
 * The routing heatmap: one row per token (its text on the left), one column per MoE layer, each
 * cell coloured by the token's top-1 expert in that layer and labelled with the expert id. A legend
 * lists the most frequent top-1 experts. Under the grid, per-layer load bars: the busiest expert's
 * share of the tokens (in its colour, a dashed line at an even spread) and how many experts no token
 * chose. Readable up to about 64 tokens; longer inputs show their first MAX_ROWS tokens and say so.
 */

export const MAX_ROWS = 64;
const LABEL_W = 170;
const LEGEND_W = 190;
const CELL_H = 18;
const LEGEND_ROWS = 20;
const GENERATED = '#2f6f3e';
const IDLE = '#8e97a8';
/** The busiest-expert bars' full height (a share of 1), and the idle bars' (every expert idle). */
const BUSY_H = 72;
const IDLE_H = 36;

export interface HeatmapOptions {
  /** Rows to show (at most MAX_ROWS); the load bars count only these. */
  rows?: number;
  /** The /moe quiz: token texts and timings left out, so only the routing tells the prompts apart. */
  hideTokens?: boolean;
  title?: string;
}

export interface HeatmapLayout {
  width: number;
  height: number;
  gridX: number;
  gridY: number;
  cellW: number;
  cellH: number;
  rows: number;
  columns: number;
  /** The top-left pixel of the cell of token `row` in MoE layer column `column`. */
  cell(row: number, column: number): { x: number; y: number };
  legend: { expert: number; count: number; x: number; y: number }[];
  /** Per column: the load figures and their bars (the busiest expert's share, then the idle experts). */
  load: { figures: LayerLoad; busy: Rect; idle: Rect }[];
  /** The busiest-expert bars' baseline and full height; the even-spread line's y. */
  busyBase: number;
  evenY: number;
  idleBase: number;
}

/** Top-1 experts by how many cells they colour, most first. */
export function topExperts(r: RouteResponse, rows = MAX_ROWS): { expert: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const layer of r.routing) for (const row of layer.experts.slice(0, rows)) counts.set(row[0]!, (counts.get(row[0]!) ?? 0) + 1);
  return [...counts].map(([expert, count]) => ({ expert, count })).sort((a, b) => b.count - a.count || a.expert - b.expert);
}

export function heatmapLayout(r: RouteResponse, options: HeatmapOptions = {}): HeatmapLayout {
  const rows = Math.min(options.rows ?? r.tokens.length, r.tokens.length, MAX_ROWS);
  const columns = r.routing.length;
  const cellW = Math.max(14, Math.min(36, Math.floor(900 / columns)));
  const gridX = PAD + LABEL_W;
  const gridY = 96;
  const gridRight = gridX + columns * cellW;
  const legendX = gridRight + 28;
  const top = topExperts(r, rows).slice(0, LEGEND_ROWS);
  const legend = top.map((e, i) => ({ ...e, x: legendX, y: gridY + 22 + i * 20 }));
  const gridBottom = gridY + rows * CELL_H;
  const busyBase = gridBottom + 44 + BUSY_H;
  const idleBase = busyBase + 26 + IDLE_H;
  const figures = layerLoads(r, options.rows !== undefined ? rows : r.tokens.length);
  const load = figures.map((f, column) => {
    const x = gridX + column * cellW;
    const busyH = Math.round(f.busiest.share * BUSY_H);
    const idleH = Math.round((f.idle / Math.max(1, r.experts)) * IDLE_H);
    return { figures: f, busy: { x, y: busyBase - busyH, w: cellW - 1, h: busyH }, idle: { x, y: idleBase - idleH, w: cellW - 1, h: idleH } };
  });
  const legendBottom = gridY + 22 + LEGEND_ROWS * 20 + 24;
  const width = Math.max(legendX + LEGEND_W + PAD, 640);
  const height = Math.max(idleBase + 16, legendBottom) + 44;
  return {
    width,
    height,
    gridX,
    gridY,
    cellW,
    cellH: CELL_H,
    rows,
    columns,
    cell: (row, column) => ({ x: gridX + column * cellW, y: gridY + row * CELL_H }),
    legend,
    load,
    busyBase,
    evenY: busyBase - Math.round(Math.min(1, r.top_k / Math.max(1, r.experts)) * BUSY_H),
    idleBase,
  };
}

export async function renderHeatmap(r: RouteResponse, options: HeatmapOptions = {}): Promise<Buffer> {
  const g = heatmapLayout(r, options);
  const hide = options.hideTokens === true;
  const { canvas, ctx } = titledCanvas(g.width, g.height, options.title ?? `Which expert each token went to · ${r.model}`);
  ctx.font = font(12);
  ctx.fillStyle = MUTED;
  const note = r.random_weights ? ' Random weights: the pattern shows the mechanism, not learned specialisation.' : '';
  ctx.fillText(
    fit(ctx, `Colour and number: the top-1 expert (of ${r.experts}, top-${r.top_k}) per token and MoE layer.${note}`, g.width - 2 * PAD),
    PAD,
    48,
  );

  // Axis titles and layer numbers.
  ctx.fillStyle = INK;
  ctx.font = font(12, 'bold');
  ctx.fillText('MoE layer →', g.gridX, 68);
  ctx.fillText('Token ↓', PAD, 88);
  ctx.font = font(10, 'normal', MONO);
  ctx.fillStyle = MUTED;
  const every = g.cellW >= 20 ? 1 : Math.ceil(20 / g.cellW);
  ctx.textAlign = 'center';
  r.routing.forEach((layer, column) => {
    if (column % every !== 0) return;
    const { x } = g.cell(0, column);
    ctx.fillText(String(layer.layer), x + g.cellW / 2, g.gridY - 6);
  });

  // Token labels: index, then the text with visible whitespace.
  const firstGenerated = r.tokens.findIndex((t) => t.generated);
  for (let row = 0; row < g.rows; row++) {
    const token = r.tokens[row]!;
    const y = g.gridY + row * g.cellH + g.cellH - 5;
    ctx.textAlign = 'right';
    ctx.font = font(10, 'normal', MONO);
    ctx.fillStyle = MUTED;
    ctx.fillText(String(token.index), PAD + 26, y);
    ctx.font = font(12, 'normal', MONO, token.generated ? 'italic' : 'normal');
    ctx.fillStyle = token.generated ? GENERATED : INK;
    ctx.fillText(hide ? '?' : fit(ctx, visibleToken(token.text), LABEL_W - 44), g.gridX - 8, y);
  }
  ctx.textAlign = 'left';

  // Cells: fill leaves a 1 px white gap on the right and bottom.
  ctx.textAlign = 'center';
  ctx.font = font(g.cellW >= 24 ? 10 : 9, 'bold', MONO);
  const labelled = g.cellW >= (r.experts > 100 ? 24 : 16);
  r.routing.forEach((layer, column) => {
    for (let row = 0; row < g.rows; row++) {
      const expert = layer.experts[row]![0]!;
      const color = expertColor(expert);
      const { x, y } = g.cell(row, column);
      ctx.fillStyle = css(color);
      ctx.fillRect(x, y, g.cellW - 1, g.cellH - 1);
      if (labelled) {
        ctx.fillStyle = textOn(color);
        ctx.fillText(String(expert), x + (g.cellW - 1) / 2, y + g.cellH - 6);
      }
    }
  });
  ctx.textAlign = 'left';

  drawLoadBars(ctx, r, g);

  if (firstGenerated > 0 && firstGenerated < g.rows) {
    // A rule between the prompt and the generated tokens, across labels and cells.
    ctx.fillStyle = GENERATED;
    ctx.fillRect(PAD, g.gridY + firstGenerated * g.cellH - 1, g.gridX - PAD + g.columns * g.cellW, 2);
  }

  // Legend.
  const legendX = g.legend[0]?.x ?? g.gridX + g.columns * g.cellW + 28;
  ctx.fillStyle = INK;
  ctx.font = font(12, 'bold');
  ctx.fillText('Top-1 expert (cells)', legendX, g.gridY + 8);
  ctx.font = font(12);
  for (const entry of g.legend) {
    const color = expertColor(entry.expert);
    ctx.fillStyle = css(color);
    ctx.fillRect(entry.x, entry.y, 14, 14);
    ctx.fillStyle = INK;
    ctx.fillText(`expert ${entry.expert}`, entry.x + 22, entry.y + 12);
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText(String(entry.count), entry.x + 170, entry.y + 12);
    ctx.textAlign = 'left';
  }
  const others = topExperts(r, g.rows).length - g.legend.length;
  if (others > 0) {
    ctx.fillStyle = MUTED;
    ctx.fillText(`+ ${others} more experts`, legendX, g.gridY + 22 + g.legend.length * 20 + 12);
  }

  // Footer.
  ctx.fillStyle = MUTED;
  ctx.font = font(11);
  const counted = options.rows === undefined && r.tokens.length > g.rows ? ` (the load bars count all ${r.tokens.length})` : '';
  const shown = r.tokens.length > g.rows && !hide ? `Showing the first ${g.rows} of ${r.tokens.length} tokens${counted}. ` : '';
  const generated = firstGenerated >= 0 && firstGenerated < g.rows ? 'Green italic tokens (below the line) were generated. ' : '';
  const dense = r.dense_layers.length ? `Dense layers (no router): ${r.dense_layers.join(', ')}. ` : '';
  const shared = r.shared_experts ? `Every token also passes ${r.shared_experts} shared expert${r.shared_experts > 1 ? 's' : ''} (not shown). ` : '';
  const where = hide ? `${r.model}${r.random_weights ? ', random weights' : ''}.` : `${r.device}, ${r.timings.forward_ms.toFixed(1)} ms forward.`;
  ctx.fillText(fit(ctx, `${shown}${generated}${dense}${shared}${where}`, g.width - 2 * PAD), PAD, g.height - 16);
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.strokeRect(g.gridX - 0.5, g.gridY - 0.5, g.columns * g.cellW + 1, g.rows * g.cellH + 1);
  // encode, not toBuffer: toBuffer's memory is not given back (about 2.6 MB a chart, without bound).
  return canvas.encode('png');
}

/**
 * Under the grid, aligned with its columns: the busiest expert's share of the tokens (a bar in the
 * expert's colour, its number inside when there is room, the share above when the column is wide
 * enough; a dashed line at an even spread), then the idle experts (grey, their count above).
 */
function drawLoadBars(ctx: SKRSContext2D, r: RouteResponse, g: HeatmapLayout): void {
  const gridBottom = g.gridY + g.rows * g.cellH;
  const right = g.gridX + g.columns * g.cellW;
  ctx.textAlign = 'left';
  ctx.fillStyle = INK;
  ctx.font = font(12, 'bold');
  ctx.fillText('Load per MoE layer ↓', PAD, gridBottom + 24);

  // Row labels and scales, in the token label column.
  ctx.font = font(11);
  ctx.fillStyle = INK;
  ctx.fillText("Busiest expert's", PAD, g.busyBase - 44);
  ctx.fillText('share of tokens', PAD, g.busyBase - 30);
  ctx.font = font(10);
  ctx.fillStyle = MUTED;
  ctx.fillText('dashed: even spread', PAD, g.busyBase - 14);
  ctx.font = font(11);
  ctx.fillStyle = INK;
  ctx.fillText('Experts idle', PAD, g.idleBase - 18);
  ctx.fillText(`(of ${r.experts})`, PAD, g.idleBase - 4);
  ctx.font = font(9);
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'right';
  ctx.fillText('100%', g.gridX - 6, g.busyBase - BUSY_H + 8);
  ctx.fillText('0', g.gridX - 6, g.busyBase);
  ctx.fillText(String(r.experts), g.gridX - 6, g.idleBase - IDLE_H + 8);
  ctx.fillText('0', g.gridX - 6, g.idleBase);

  // Baselines and the top of the share scale.
  ctx.fillStyle = GRID;
  ctx.fillRect(g.gridX, g.busyBase, right - g.gridX, 1);
  ctx.fillRect(g.gridX, g.busyBase - BUSY_H, right - g.gridX, 1);
  ctx.fillRect(g.gridX, g.idleBase, right - g.gridX, 1);

  ctx.textAlign = 'center';
  const wide = g.cellW >= 24;
  for (const { figures, busy, idle } of g.load) {
    const color = expertColor(figures.busiest.expert);
    ctx.fillStyle = css(color);
    ctx.fillRect(busy.x, busy.y, busy.w, busy.h);
    ctx.font = font(9, 'bold', MONO);
    // The number at the top of the bar, clear of the even-spread line near its foot.
    if (busy.h >= 20 && busy.y + 13 < g.evenY && g.cellW >= (r.experts > 100 ? 24 : 16)) {
      ctx.fillStyle = textOn(color);
      ctx.fillText(String(figures.busiest.expert), busy.x + busy.w / 2, busy.y + 11);
    }
    ctx.font = font(9);
    if (wide) {
      ctx.fillStyle = MUTED;
      ctx.fillText(percent(figures.busiest.share), busy.x + busy.w / 2, Math.min(busy.y, g.busyBase - BUSY_H) - 3);
    }
    ctx.fillStyle = IDLE;
    ctx.fillRect(idle.x, idle.y, idle.w, idle.h);
    if (g.cellW >= 16) {
      ctx.fillStyle = MUTED;
      ctx.fillText(String(figures.idle), idle.x + idle.w / 2, idle.y - 3);
    }
  }

  // An even spread: every expert chosen by top_k / experts of the tokens.
  dashedLine(ctx, g.gridX, g.evenY + 0.5, right, g.evenY + 0.5, [4, 3], INK);
  ctx.textAlign = 'left';
}
