import { GRID, INK, MUTED, dashedLine, fit, font, PAD, titledCanvas } from './draw.js';
import { isSpecialToken } from './domains.js';
import { css, type Rgb } from './palette.js';
import type { CompareResponse } from './protocol.js';

/**
 * Per-layer overlap of two prompts' routing as a bar chart: for each MoE layer, the Jaccard overlap
 * of the expert sets and the overlap of the load distributions (1 = identical routing), with
 * dashed lines at their means.
 */

export const JACCARD_COLOR: Rgb = [31, 119, 180];
export const LOAD_COLOR: Rgb = [255, 127, 14];
const PLOT_H = 240;

export interface CompareLayout {
  width: number;
  height: number;
  plotX: number;
  plotY: number;
  plotH: number;
  groupW: number;
  /** The bar rectangles of layer column i: [jaccard, load overlap]. */
  bars(i: number): { x: number; y: number; w: number; h: number }[];
}

export function compareLayout(c: CompareResponse): CompareLayout {
  const n = c.layers.length;
  const groupW = Math.max(14, Math.min(48, Math.floor(860 / n)));
  const plotX = PAD + 52;
  const plotY = 108;
  const width = Math.max(plotX + n * groupW + PAD + 8, 680);
  const height = plotY + PLOT_H + 64;
  const barW = Math.max(4, Math.floor((groupW - Math.max(4, Math.round(groupW / 6))) / 2));
  return {
    width,
    height,
    plotX,
    plotY,
    plotH: PLOT_H,
    groupW,
    bars(i) {
      const layer = c.layers[i]!;
      const x0 = plotX + i * groupW + Math.floor((groupW - 2 * barW) / 2);
      return [layer.jaccard, layer.load_overlap].map((v, j) => {
        const h = Math.round(v * PLOT_H);
        return { x: x0 + j * barW, y: plotY + PLOT_H - h, w: barW - 1, h };
      });
    },
  };
}

export async function renderCompareChart(c: CompareResponse): Promise<Buffer> {
  const g = compareLayout(c);
  const { canvas, ctx } = titledCanvas(g.width, g.height, 'How far routing moves when the question is rephrased');
  ctx.font = font(12);
  ctx.fillStyle = MUTED;
  // The prompts as the tokenizer saw them, without special tokens such as <s>.
  const quote = (i: number) =>
    c.prompts[i]!.tokens
      .filter((t) => !isSpecialToken(t))
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
  ctx.fillText(fit(ctx, `A: ${quote(0)}`, g.width - 2 * PAD), PAD, 50);
  ctx.fillText(fit(ctx, `B: ${quote(1)}`, g.width - 2 * PAD), PAD, 68);

  // Legend.
  let lx = PAD;
  for (const [label, color] of [
    ['expert-set overlap (Jaccard)', JACCARD_COLOR],
    ['load overlap', LOAD_COLOR],
  ] as const) {
    ctx.fillStyle = css(color);
    ctx.fillRect(lx, 80, 12, 12);
    ctx.fillStyle = INK;
    ctx.fillText(label, lx + 18, 91);
    lx += 18 + ctx.measureText(label).width + 24;
  }
  ctx.fillStyle = MUTED;
  ctx.fillText(fit(ctx, '1 = the same routing; dashed: means', g.width - lx - PAD), lx, 91);

  // Axes and grid.
  const plotW = c.layers.length * g.groupW;
  ctx.font = font(10);
  ctx.textAlign = 'right';
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const y = g.plotY + g.plotH - Math.round(v * g.plotH);
    ctx.fillStyle = GRID;
    ctx.fillRect(g.plotX, y, plotW, 1);
    ctx.fillStyle = MUTED;
    ctx.fillText(v.toFixed(2), g.plotX - 6, y + 4);
  }

  // Bars.
  c.layers.forEach((_, i) => {
    const [jaccard, load] = g.bars(i);
    for (const [bar, color] of [
      [jaccard!, JACCARD_COLOR],
      [load!, LOAD_COLOR],
    ] as const) {
      ctx.fillStyle = css(color);
      ctx.fillRect(bar.x, bar.y, bar.w, bar.h);
    }
  });

  // Means.
  for (const [value, color] of [
    [c.mean_jaccard, JACCARD_COLOR],
    [c.mean_load_overlap, LOAD_COLOR],
  ] as const) {
    const y = g.plotY + g.plotH - Math.round(value * g.plotH) + 0.5;
    dashedLine(ctx, g.plotX, y, g.plotX + plotW, y, [6, 4], css(color), 1.5);
  }

  ctx.save();
  ctx.translate(PAD + 4, g.plotY + g.plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillStyle = INK;
  ctx.font = font(12, 'bold');
  ctx.fillText('overlap', 0, 0);
  ctx.restore();
  ctx.font = font(10);

  // Layer numbers.
  ctx.textAlign = 'center';
  ctx.fillStyle = MUTED;
  const every = g.groupW >= 20 ? 1 : Math.ceil(20 / g.groupW);
  c.layers.forEach((layer, i) => {
    if (i % every === 0) ctx.fillText(String(layer.layer), g.plotX + i * g.groupW + g.groupW / 2, g.plotY + g.plotH + 14);
  });
  ctx.fillStyle = INK;
  ctx.font = font(12, 'bold');
  ctx.fillText('MoE layer', g.plotX + plotW / 2, g.plotY + g.plotH + 32);
  ctx.textAlign = 'left';
  ctx.fillStyle = MUTED;
  ctx.font = font(11);
  ctx.fillText(
    fit(ctx, `${c.model}${c.random_weights ? ' (random weights)' : ''} · ${c.experts} experts, top-${c.top_k} · ${c.device}`, g.width - 2 * PAD),
    PAD,
    g.height - 10,
  );
  // encode, not toBuffer: toBuffer's memory is not given back (about 2.6 MB a chart, without bound).
  return canvas.encode('png');
}
