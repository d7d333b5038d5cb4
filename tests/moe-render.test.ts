import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoeClient } from '../src/core/moe/client.js';
import { compareLayout, renderCompareChart } from '../src/core/moe/compare-chart.js';
import { MAX_ROWS, heatmapLayout, renderHeatmap, topExperts } from '../src/core/moe/heatmap.js';
import { expertColor } from '../src/core/moe/palette.js';
import type { CompareResponse, RouteResponse } from '../src/core/moe/protocol.js';
import { layerLoads, routeSummaryLines, summarizeRoute } from '../src/core/moe/summary.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint } from './fakes/moe-endpoint.js';
import { expectCompareChartOf, expectHeatmapOf, pixels } from './helpers/moe-images.js';

let fake: FakeMoeEndpoint;
let client: MoeClient;

beforeAll(async () => {
  fake = await startFakeMoeEndpoint({ experts: 64, topK: 8, moeLayers: 16 });
  client = new MoeClient({ baseUrl: fake.url, timeoutMs: 5000 });
});
afterAll(() => fake.close());

describe('routing heatmap', () => {
  let route: RouteResponse;
  beforeAll(async () => {
    route = await client.route({ prompt: 'Which expert fired matters, and it is hard to inspect.', max_new_tokens: 3 });
  });

  it('is a PNG of the laid-out size whose every cell has its top-1 expert colour', async () => {
    const { layout, img } = await expectHeatmapOf(await renderHeatmap(route), route);
    expect(layout.rows).toBe(route.tokens.length);
    expect(layout.columns).toBe(16);
    // The one-pixel gap between cells is background.
    const { x, y } = layout.cell(0, 0);
    expect(img.at(x + layout.cellW - 1, y + 2)).toEqual([255, 255, 255]);
  });

  it('has a legend of the most frequent top-1 experts in their colours', async () => {
    const layout = heatmapLayout(route);
    const img = await pixels(await renderHeatmap(route));
    const top = topExperts(route);
    expect(layout.legend.map((l) => l.expert)).toEqual(top.slice(0, 20).map((t) => t.expert));
    for (const entry of layout.legend) expect(img.at(entry.x + 7, entry.y + 7)).toEqual([...expertColor(entry.expert)]);
  });

  it(`shows at most ${MAX_ROWS} tokens`, async () => {
    const long = await client.route({ prompt: Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ') });
    expect(long.tokens.length).toBeGreaterThan(MAX_ROWS);
    const layout = heatmapLayout(long);
    expect(layout.rows).toBe(MAX_ROWS);
    const img = await pixels(await renderHeatmap(long));
    expect(img.height).toBe(layout.height);
    const last = layout.cell(MAX_ROWS - 1, 15);
    expect(img.at(last.x + 2, last.y + 2)).toEqual([...expertColor(long.routing[15]!.experts[MAX_ROWS - 1]![0]!)]);
    // 64 rows, the load bars under them and the footer still fit a screen or two.
    expect(img.height).toBeLessThan(1600);
  });

  it('draws each layer\u2019s load under its column: the busiest expert\u2019s share of tokens in its colour, and the idle experts', async () => {
    const layout = heatmapLayout(route);
    const img = await pixels(await renderHeatmap(route));
    const loads = layerLoads(route);
    route.routing.forEach((layer, column) => {
      // Counted here from the rows, independently of the summary.
      const tokensPerExpert = new Map<number, number>();
      for (const row of layer.experts) for (const e of row) tokensPerExpert.set(e, (tokensPerExpert.get(e) ?? 0) + 1);
      const most = Math.max(...tokensPerExpert.values());
      const busiest = Math.min(...[...tokensPerExpert].filter(([, n]) => n === most).map(([e]) => e));
      const idle = 64 - tokensPerExpert.size;
      expect(loads[column]).toEqual({ layer: layer.layer, idle, busiest: { expert: busiest, tokens: most, share: most / route.tokens.length } });
      const { figures, busy, idle: idleBar } = layout.load[column]!;
      expect(figures).toEqual(loads[column]);
      expect(busy.h).toBe(Math.round((most / route.tokens.length) * 72));
      expect(busy.y + busy.h).toBe(layout.busyBase);
      expect(idleBar.h).toBe(Math.round((idle / 64) * 36));
      // Just above the baseline, below the even-spread line and the bar's number.
      expect(img.at(busy.x + 2, layout.busyBase - 3), `layer ${layer.layer}`).toEqual([...expertColor(busiest)]);
      if (idleBar.h > 2) expect(img.at(idleBar.x + 2, layout.idleBase - 2)).toEqual([142, 151, 168]);
    });
    // Above the tallest bar, nothing but the background.
    const tallest = Math.min(...layout.load.map((l) => l.busy.y));
    expect(img.at(layout.load[0]!.busy.x + 2, tallest - 1)).not.toEqual([...expertColor(loads[0]!.busiest.expert)]);
    const line = routeSummaryLines(route, summarizeRoute(route)).find((l) => l.startsWith('Load per MoE layer'))!;
    expect(line).toContain(`0: ${loads[0]!.idle} idle, expert ${loads[0]!.busiest.expert} ${Math.round(loads[0]!.busiest.share * 100)}%`);
    expect(line.slice(line.indexOf('): ') + 3).split('; ')).toHaveLength(16);
  });

  it('keeps distinct experts in distinct colours', () => {
    const colours = new Set(Array.from({ length: 256 }, (_, e) => expertColor(e).join(',')));
    expect(colours.size).toBe(256);
  });

  it('summarises the routing', () => {
    const s = summarizeRoute(route, 12.3);
    expect(s.tokens).toBe(route.tokens.length);
    expect(s.generated).toBe(3);
    const loads = route.routing.map((l) => l.load.filter((n) => n > 0).length);
    expect(s.expertsUsed.min).toBe(Math.min(...loads));
    expect(s.expertsUsed.max).toBe(Math.max(...loads));
    const layer0 = route.routing[0]!.load;
    const imbalance0 = Math.max(...layer0) / (layer0.reduce((a, b) => a + b, 0) / 64);
    expect(s.imbalance.worst).toBeGreaterThanOrEqual(Math.round(imbalance0 * 100) / 100 - 1e-9);
    const changes = route.routing.slice(1).reduce((n, l, i) => n + l.experts.filter((row, t) => row[0] !== route.routing[i]!.experts[t]![0]).length, 0);
    expect(s.topSwitches).toEqual({ changed: changes, steps: 15 * route.tokens.length });
    const lines = routeSummaryLines(route, s).join('\n');
    expect(lines).toContain('of 64 (mean');
    expect(lines).toContain('Load imbalance (max/mean)');
    expect(lines).toContain('12.3 ms round trip');
  });
});

describe('compare chart', () => {
  let compare: CompareResponse;
  beforeAll(async () => {
    compare = await client.compare({ prompts: ['Which expert fired, and why is it hard to inspect?', 'Why is it hard to see which expert ran?'] });
  });

  it('draws two bars per layer at the measured heights, in the legend colours', async () => {
    const { layout, img, checked } = await expectCompareChartOf(await renderCompareChart(compare), compare);
    // Every bar is tall enough to be looked at.
    expect(checked).toBe(compare.layers.length * 2);
    // Just below the baseline there is no bar.
    const first = layout.bars(0)[0]!;
    expect(img.at(first.x + 1, layout.plotY + layout.plotH + 3)).toEqual([255, 255, 255]);
  });

  it('scores identical prompts as identical routing', async () => {
    const same = await client.compare({ prompts: ['What is MoE?', 'What is MoE?'] });
    expect(same.layers.every((l) => l.jaccard === 1 && l.load_overlap === 1)).toBe(true);
    const layout = compareLayout(same);
    expect(layout.bars(0)[0]!.h).toBe(layout.plotH);
  });
});
