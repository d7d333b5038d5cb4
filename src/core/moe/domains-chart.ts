import { GRID, INK, MUTED, PAD, dashedLine, fit, font, titledCanvas } from './draw.js';
import type { DomainReport } from './domains.js';
import { css, expertColor, textOn } from './palette.js';
import { percent } from '../util/text.js';

/**
 * The /moe domains chart: one panel per shown MoE layer (early, middle, late), one bar per domain.
 * A bar is the share of the domain's routing choices its busiest experts took, one segment per
 * expert in that expert's colour (the same as on the heatmap) with its number; a dashed line marks
 * an even spread and a dotted one what random routing of as many tokens gives.
 */

const WIDTH = 920;
const LABEL_W = 120;
const BAR_W = 560;
const ROW_H = 28;
const BAR_H = 20;
const PANEL_HEAD = 28;
const PANEL_FOOT = 26;
const TOP = 96;

export interface DomainsChartLayout {
  width: number;
  height: number;
  barX: number;
  barW: number;
  /** The share at the bar's right end. */
  axisMax: number;
  panels: {
    y: number;
    rows: { y: number; segments: { expert: number; x: number; w: number }[] }[];
  }[];
  /** x of a share on every panel's axis. */
  xOf(share: number): number;
}

export function domainsChartLayout(r: DomainReport): DomainsChartLayout {
  const barX = PAD + LABEL_W;
  const most = Math.max(r.chanceShare, ...r.layers.flatMap((l) => l.domains.map((d) => d.topShare)));
  const axisMax = Math.min(1, Math.ceil((most + 0.04) * 10) / 10);
  const xOf = (share: number) => barX + (Math.min(share, axisMax) / axisMax) * BAR_W;
  const panelH = PANEL_HEAD + r.domains.length * ROW_H + PANEL_FOOT;
  const panels = r.layers.map((l, pi) => {
    const y = TOP + pi * panelH;
    return {
      y,
      rows: l.domains.map((d, di) => {
        let x = barX;
        const segments = d.top.map((e) => {
          const w = xOf(e.share) - barX;
          const seg = { expert: e.expert, x, w };
          x += w;
          return seg;
        });
        return { y: y + PANEL_HEAD + di * ROW_H, segments };
      }),
    };
  });
  return { width: WIDTH, height: TOP + r.layers.length * panelH + 44, barX, barW: BAR_W, axisMax, panels, xOf };
}


export async function renderDomainsChart(r: DomainReport): Promise<Buffer> {
  const g = domainsChartLayout(r);
  const { canvas, ctx } = titledCanvas(g.width, g.height, `Which experts each kind of text uses most · ${r.model}`);
  ctx.font = font(12);
  ctx.fillStyle = MUTED;
  ctx.fillText(
    fit(ctx, `Each bar: the share of a domain's routing choices (tokens × top-${r.topK}) that went to its ${r.topN} busiest experts, one segment per expert,`, g.width - 2 * PAD),
    PAD,
    48,
  );
  ctx.fillText(fit(ctx, 'numbered and coloured as on the /moe route heatmap. The same number in two bars: an expert both domains lean on.', g.width - 2 * PAD), PAD, 64);

  // Legend of the two reference lines.
  const legendY = 82;
  const line = (x: number, dash: number[], color: string) => dashedLine(ctx, x, legendY - 4, x + 22, legendY - 4, dash, color, 2);
  line(PAD, [5, 3], INK);
  ctx.fillStyle = INK;
  ctx.fillText(`even spread: ${percent(r.evenShare)}`, PAD + 28, legendY);
  const second = PAD + 28 + ctx.measureText(`even spread: ${percent(r.evenShare)}`).width + 24;
  line(second, [2, 3], '#b03a2e');
  ctx.fillText(`random routing of as many tokens: about ${percent(r.chanceShare)}`, second + 28, legendY);

  r.layers.forEach((l, pi) => {
    const panel = g.panels[pi]!;
    ctx.fillStyle = INK;
    ctx.font = font(13, 'bold');
    ctx.textAlign = 'left';
    const label = `${l.position[0]!.toUpperCase()}${l.position.slice(1)}: MoE layer ${l.layer}`;
    ctx.fillText(label, PAD, panel.y + 18);
    const labelW = ctx.measureText(label).width;
    ctx.font = font(11);
    ctx.fillStyle = MUTED;
    ctx.fillText(`· the domains' top experts are ${l.distinctTop} different experts of ${l.domains.length * r.topN} picks`, PAD + labelW + 10, panel.y + 18);

    const rowsTop = panel.rows[0]!.y;
    const rowsBottom = panel.rows.at(-1)!.y + BAR_H;
    // Grid: every 10% (every 20% past 60%).
    const step = g.axisMax > 0.6 ? 0.2 : 0.1;
    ctx.font = font(10);
    ctx.textAlign = 'center';
    for (let v = 0; v <= g.axisMax + 1e-9; v += step) {
      const x = Math.round(g.xOf(v)) + 0.5;
      ctx.fillStyle = GRID;
      ctx.fillRect(x - 0.5, rowsTop - 4, 1, rowsBottom - rowsTop + 8);
      ctx.fillStyle = MUTED;
      ctx.fillText(percent(v), x, rowsBottom + 16);
    }

    ctx.fillStyle = '#eef0f4';
    for (const row of panel.rows) ctx.fillRect(g.barX, row.y, g.barW, BAR_H);
    // Reference lines behind the bars: they show in the track and between the rows.
    for (const [share, dash, color] of [
      [r.evenShare, [5, 3], INK],
      [r.chanceShare, [2, 3], '#b03a2e'],
    ] as const) {
      const x = Math.round(g.xOf(share)) + 0.5;
      dashedLine(ctx, x, rowsTop - 6, x, rowsBottom + 4, dash, color, 2);
    }
    l.domains.forEach((d, di) => {
      const row = panel.rows[di]!;
      ctx.textAlign = 'right';
      ctx.fillStyle = INK;
      ctx.font = font(12, 'bold');
      ctx.fillText(fit(ctx, d.title, LABEL_W - 12), g.barX - 10, row.y + 15);
      ctx.textAlign = 'center';
      ctx.font = font(10, 'bold');
      for (const seg of row.segments) {
        const color = expertColor(seg.expert);
        ctx.fillStyle = css(color);
        ctx.fillRect(seg.x, row.y, Math.max(1, seg.w - 1), BAR_H);
        const text = String(seg.expert);
        if (ctx.measureText(text).width + 4 <= seg.w - 1) {
          ctx.fillStyle = textOn(color);
          ctx.fillText(text, seg.x + (seg.w - 1) / 2, row.y + 14);
        }
      }
      ctx.textAlign = 'left';
      ctx.font = font(12);
      ctx.fillStyle = INK;
      ctx.fillText(`${percent(d.topShare)}`, g.barX + g.barW + 10, row.y + 15);
      ctx.fillStyle = MUTED;
      ctx.font = font(11);
      ctx.fillText(fit(ctx, `experts ${d.top.map((e) => e.expert).join(', ')}`, g.width - PAD - (g.barX + g.barW + 48)), g.barX + g.barW + 48, row.y + 15);
    });

  });

  ctx.textAlign = 'left';
  ctx.font = font(11);
  ctx.fillStyle = MUTED;
  const prompts = r.domains.map((d) => `${d.title} ${d.prompts} (${d.tokens} tokens)`).join(', ');
  ctx.fillText(fit(ctx, `Prompts per domain: ${prompts}; special tokens such as <s> left out.`, g.width - 2 * PAD), PAD, g.height - 30);
  const note = r.randomWeights ? ' Random weights: the pattern shows the mechanism, not learned specialisation.' : '';
  ctx.fillText(fit(ctx, `${r.experts} experts, top-${r.topK} · ${r.device}.${note}`, g.width - 2 * PAD), PAD, g.height - 12);
  // encode, not toBuffer: toBuffer's memory is not given back (about 2.6 MB a chart, without bound).
  return canvas.encode('png');
}
