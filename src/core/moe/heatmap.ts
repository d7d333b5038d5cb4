import { GRID, INK, MONO, MUTED, fit, font, titledCanvas, PAD, visibleToken } from './draw.js';
import { css, expertColor, textOn } from './palette.js';
import type { RouteResponse } from './protocol.js';

/**
 * The routing heatmap: one row per token (its text on the left), one column per MoE layer, each
 * cell coloured by the token's top-1 expert in that layer and labelled with the expert id. A legend
 * lists the most frequent top-1 experts. Readable up to about 64 tokens; longer inputs show their
 * first MAX_ROWS tokens and say so.
 */

export const MAX_ROWS = 64;
const LABEL_W = 170;
const LEGEND_W = 190;
const CELL_H = 18;
const LEGEND_ROWS = 20;
const GENERATED = '#2f6f3e';

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
}

/** Top-1 experts by how many cells they colour, most first. */
export function topExperts(r: RouteResponse, rows = MAX_ROWS): { expert: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const layer of r.routing) for (const row of layer.experts.slice(0, rows)) counts.set(row[0]!, (counts.get(row[0]!) ?? 0) + 1);
  return [...counts].map(([expert, count]) => ({ expert, count })).sort((a, b) => b.count - a.count || a.expert - b.expert);
}

export function heatmapLayout(r: RouteResponse): HeatmapLayout {
  const rows = Math.min(r.tokens.length, MAX_ROWS);
  const columns = r.routing.length;
  const cellW = Math.max(14, Math.min(36, Math.floor(900 / columns)));
  const gridX = PAD + LABEL_W;
  const gridY = 96;
  const gridRight = gridX + columns * cellW;
  const legendX = gridRight + 28;
  const top = topExperts(r, rows).slice(0, LEGEND_ROWS);
  const legend = top.map((e, i) => ({ ...e, x: legendX, y: gridY + 22 + i * 20 }));
  const gridBottom = gridY + rows * CELL_H;
  const legendBottom = gridY + 22 + LEGEND_ROWS * 20 + 24;
  const width = Math.max(legendX + LEGEND_W + PAD, 640);
  const height = Math.max(gridBottom, legendBottom) + 44;
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
  };
}

export function renderHeatmap(r: RouteResponse): Buffer {
  const g = heatmapLayout(r);
  const { canvas, ctx } = titledCanvas(g.width, g.height, `Which expert each token went to · ${r.model}`);
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
    ctx.fillText(fit(ctx, visibleToken(token.text), LABEL_W - 44), g.gridX - 8, y);
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
  const shown = r.tokens.length > g.rows ? `Showing the first ${g.rows} of ${r.tokens.length} tokens. ` : '';
  const generated = firstGenerated >= 0 && firstGenerated < g.rows ? 'Green italic tokens (below the line) were generated. ' : '';
  const dense = r.dense_layers.length ? `Dense layers (no router): ${r.dense_layers.join(', ')}. ` : '';
  const shared = r.shared_experts ? `Every token also passes ${r.shared_experts} shared expert${r.shared_experts > 1 ? 's' : ''} (not shown). ` : '';
  ctx.fillText(fit(ctx, `${shown}${generated}${dense}${shared}${r.device}, ${r.timings.forward_ms.toFixed(1)} ms forward.`, g.width - 2 * PAD), PAD, g.height - 16);
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.strokeRect(g.gridX - 0.5, g.gridY - 0.5, g.columns * g.cellW + 1, g.rows * g.cellH + 1);
  return canvas.toBuffer('image/png');
}
