import { join } from 'node:path';
import { expect } from 'vitest';
import { loadDomainPrompts } from '../../src/core/moe/domain-prompts.js';
import { JACCARD_COLOR, LOAD_COLOR, compareLayout, type CompareLayout } from '../../src/core/moe/compare-chart.js';
import { MAX_ROWS, heatmapLayout, type HeatmapLayout, type HeatmapOptions } from '../../src/core/moe/heatmap.js';
import { expertColor } from '../../src/core/moe/palette.js';
import type { CompareResponse, RouteResponse } from '../../src/core/moe/protocol.js';
import { repoRoot } from './cli.js';
import { isPng, pixels } from './png.js';

export { isPng, pixels, PNG_SIGNATURE } from './png.js';

/** How many prompts the shipped content/moe/domains.yaml has: what one /moe domains routes. */
export const SHIPPED_PROMPT_COUNT = loadDomainPrompts(join(repoRoot, 'content')).domains.reduce((n, d) => n + d.prompts.length, 0);

type Pixels = Awaited<ReturnType<typeof pixels>>;

/** The heatmap cells of `img` (laid out as `layout`) that do not show the colour of their token's top-1 expert in `route`. */
function mismatchedCells(img: Pixels, route: RouteResponse, layout: HeatmapLayout): string[] {
  const wrong: string[] = [];
  route.routing.forEach((layer, column) => {
    for (let row = 0; row < layout.rows; row++) {
      const { x, y } = layout.cell(row, column);
      // A corner of the cell: the expert number sits in its middle.
      const shown = img.at(x + 2, y + 2);
      const expected = expertColor(layer.experts[row]![0]!);
      if (shown.join() !== expected.join()) wrong.push(`token ${row}, layer ${layer.layer}: [${shown.join()}], not [${expected.join()}]`);
    }
  });
  return wrong;
}

/**
 * How many heatmap cells of `png` show the top-1 expert colour `route` has there, laid out as the
 * bot lays out that route with `options`; and how many cells there are.
 */
export async function matchingCells(png: Buffer, route: RouteResponse, options: HeatmapOptions): Promise<{ matching: number; cells: number }> {
  const img = await pixels(png);
  const layout = heatmapLayout(route, options);
  const cells = layout.rows * layout.columns;
  if (img.width !== layout.width || img.height !== layout.height) return { matching: 0, cells };
  return { matching: cells - mismatchedCells(img, route, layout).length, cells };
}

/**
 * Expects `png` to be the heatmap of `route`: a PNG of the size laid out for it with `options`,
 * each cell in the colour of its token's top-1 expert. Gives the layout and the pixels.
 */
export async function expectHeatmapOf(png: Buffer, route: RouteResponse, options: HeatmapOptions = {}): Promise<{ layout: HeatmapLayout; img: Pixels }> {
  expect(isPng(png), 'not a PNG').toBe(true);
  const img = await pixels(png);
  const layout = heatmapLayout(route, options);
  expect([img.width, img.height]).toEqual([layout.width, layout.height]);
  expect(mismatchedCells(img, route, layout)).toEqual([]);
  return { layout, img };
}

/**
 * Expects `png` to be the compare chart of `compare`: a PNG of the size laid out for it, two bars
 * per layer at the measured heights, each in its legend colour where a point inside it lies away
 * from the dashed mean lines and the grid lines (bars under 8 px are not looked at). Gives the
 * layout, the pixels and how many bars' colours were checked.
 */
export async function expectCompareChartOf(png: Buffer, compare: CompareResponse): Promise<{ layout: CompareLayout; img: Pixels; checked: number }> {
  expect(isPng(png), 'not a PNG').toBe(true);
  const img = await pixels(png);
  const layout = compareLayout(compare);
  expect([img.width, img.height]).toEqual([layout.width, layout.height]);
  const meanYs = [compare.mean_jaccard, compare.mean_load_overlap].map((v) => layout.plotY + layout.plotH - Math.round(v * layout.plotH));
  let checked = 0;
  compare.layers.forEach((layer, i) => {
    layout.bars(i).forEach((bar, j) => {
      expect(bar.h, `layer ${layer.layer} bar ${j}`).toBe(Math.round((j === 0 ? layer.jaccard : layer.load_overlap) * layout.plotH));
      const y = [bar.y + 3, bar.y + Math.floor(bar.h / 2), bar.y + bar.h - 3].find((c) => meanYs.every((m) => Math.abs(c - m) > 2) && (c - layout.plotY) % (layout.plotH / 4) !== 0);
      if (bar.h < 8 || y === undefined) return;
      expect(img.at(bar.x + Math.floor(bar.w / 2), y), `layer ${layer.layer} bar ${j}`).toEqual([...(j === 0 ? JACCARD_COLOR : LOAD_COLOR)]);
      checked++;
    });
  });
  return { layout, img, checked };
}

/**
 * Which of two routes a /moe quiz heatmap shows (its cells all in that route's colours, with as
 * many rows as the shorter prompt has), or undefined when it is neither.
 */
export async function quizShows(png: Buffer, routes: readonly [RouteResponse, RouteResponse]): Promise<0 | 1 | undefined> {
  const rows = Math.min(routes[0].tokens.length, routes[1].tokens.length, MAX_ROWS);
  const found: (0 | 1)[] = [];
  for (const i of [0, 1] as const) {
    const { matching, cells } = await matchingCells(png, routes[i], { rows, hideTokens: true });
    if (cells > 0 && matching === cells) found.push(i);
  }
  return found.length === 1 ? found[0] : undefined;
}
