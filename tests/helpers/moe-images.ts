import { heatmapLayout, type HeatmapOptions } from '../../src/core/moe/heatmap.js';
import { expertColor } from '../../src/core/moe/palette.js';
import type { RouteResponse } from '../../src/core/moe/protocol.js';
import { pixels } from './png.js';

export { isPng, pixels } from './png.js';

/**
 * How many heatmap cells of `png` show the top-1 expert colour `route` has there, laid out as the
 * bot lays out that route with `options`; and how many cells there are.
 */
export async function matchingCells(png: Buffer, route: RouteResponse, options: HeatmapOptions): Promise<{ matching: number; cells: number }> {
  const img = await pixels(png);
  const layout = heatmapLayout(route, options);
  if (img.width !== layout.width || img.height !== layout.height) return { matching: 0, cells: layout.rows * layout.columns };
  let matching = 0;
  route.routing.forEach((layer, column) => {
    for (let row = 0; row < layout.rows; row++) {
      const { x, y } = layout.cell(row, column);
      if (img.at(x + 2, y + 2).join() === expertColor(layer.experts[row]![0]!).join()) matching++;
    }
  });
  return { matching, cells: layout.rows * layout.columns };
}

/**
 * Which of two routes a /moe quiz heatmap shows (its cells all in that route's colours, with as
 * many rows as the shorter prompt has), or undefined when it is neither.
 */
export async function quizShows(png: Buffer, routes: readonly [RouteResponse, RouteResponse]): Promise<0 | 1 | undefined> {
  const rows = Math.min(routes[0].tokens.length, routes[1].tokens.length, 64);
  const found: (0 | 1)[] = [];
  for (const i of [0, 1] as const) {
    const { matching, cells } = await matchingCells(png, routes[i], { rows, hideTokens: true });
    if (cells > 0 && matching === cells) found.push(i);
  }
  return found.length === 1 ? found[0] : undefined;
}
