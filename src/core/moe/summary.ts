import type { CompareResponse, RouteResponse } from './protocol.js';
import { percent } from '../util/text.js';

/**
 * The figures under the heatmap: how many experts each layer used, how uneven their load was
 * (max/mean), the busiest experts, how often a token's top expert changed from one MoE layer to
 * the next, and the latency.
 */

export interface RouteSummary {
  tokens: number;
  generated: number;
  moeLayers: number;
  experts: number;
  topK: number;
  expertsUsed: { min: number; max: number; mean: number };
  imbalance: { mean: number; worst: number; worstLayer: number };
  busiest: { layer: number; expert: number; share: number }[];
  topSwitches: { changed: number; steps: number };
  latency: { totalMs: number; forwardMs: number; queueMs: number; roundTripMs?: number };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function summarizeRoute(r: RouteResponse, roundTripMs?: number): RouteSummary {
  const used = r.routing.map((l) => l.load.filter((n) => n > 0).length);
  const imbalance = r.routing.map((l) => {
    const total = l.load.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : Math.max(...l.load) / (total / l.load.length);
  });
  const worstIndex = imbalance.indexOf(Math.max(...imbalance));
  const busiest = r.routing
    .flatMap((l) => {
      const total = l.load.reduce((a, b) => a + b, 0) || 1;
      return l.load.map((n, expert) => ({ layer: l.layer, expert, share: n / total }));
    })
    .sort((a, b) => b.share - a.share || a.layer - b.layer || a.expert - b.expert)
    .slice(0, 3)
    .map((b) => ({ ...b, share: round(b.share, 3) }));
  let changed = 0;
  let steps = 0;
  for (let i = 1; i < r.routing.length; i++) {
    const before = r.routing[i - 1]!.experts;
    const after = r.routing[i]!.experts;
    for (let t = 0; t < after.length; t++) {
      steps++;
      if (before[t]![0] !== after[t]![0]) changed++;
    }
  }
  return {
    tokens: r.tokens.length,
    generated: r.tokens.filter((t) => t.generated).length,
    moeLayers: r.routing.length,
    experts: r.experts,
    topK: r.top_k,
    expertsUsed: { min: Math.min(...used), max: Math.max(...used), mean: round(used.reduce((a, b) => a + b, 0) / used.length, 1) },
    imbalance: {
      mean: round(imbalance.reduce((a, b) => a + b, 0) / imbalance.length),
      worst: round(imbalance[worstIndex] ?? 0),
      worstLayer: r.routing[worstIndex]?.layer ?? 0,
    },
    busiest,
    topSwitches: { changed, steps },
    latency: { totalMs: r.timings.total_ms, forwardMs: r.timings.forward_ms, queueMs: r.timings.queue_ms, roundTripMs },
  };
}

/** One MoE layer's load: experts no token chose, and the expert the most tokens chose. */
export interface LayerLoad {
  layer: number;
  idle: number;
  busiest: { expert: number; tokens: number; share: number };
}

/**
 * Per MoE layer, over the first `rows` tokens (all by default): how many experts no token chose,
 * and the busiest expert with the share of tokens that chose it (an expert is chosen at most once
 * per token, so the share is at most 1; an even spread gives each expert top_k / experts).
 */
export function layerLoads(r: RouteResponse, rows = r.tokens.length): LayerLoad[] {
  return r.routing.map((l) => {
    const counts = new Array<number>(r.experts).fill(0);
    const shown = l.experts.slice(0, rows);
    for (const row of shown) for (const e of row) counts[e] = (counts[e] ?? 0) + 1;
    let expert = 0;
    counts.forEach((n, e) => {
      if (n > counts[expert]!) expert = e;
    });
    const tokens = counts[expert] ?? 0;
    return { layer: l.layer, idle: counts.filter((n) => n === 0).length, busiest: { expert, tokens, share: shown.length ? tokens / shown.length : 0 } };
  });
}

/** The per-layer load in one line: "layer 1: 9 idle, expert 5 38%; layer 2: …". */
export function layerLoadLine(r: RouteResponse): string {
  return (
    `Load per MoE layer (experts idle of ${r.experts}; busiest expert, share of tokens): ` +
    layerLoads(r).map((l) => `${l.layer}: ${l.idle} idle, expert ${l.busiest.expert} ${percent(l.busiest.share)}`).join('; ')
  );
}

const ms = (n: number) => (n >= 100 ? `${Math.round(n)} ms` : `${round(n, 1)} ms`);

/** Plain lines (no markup) for the reply, the CLI and the image's alt text. */
export function routeSummaryLines(r: RouteResponse, s: RouteSummary): string[] {
  const lines = [
    `Model: ${r.model} (${r.family}, ${r.experts} experts, top-${r.top_k}${r.shared_experts ? `, ${r.shared_experts} shared` : ''})${r.random_weights ? ', random weights' : ''}`,
    `Tokens: ${s.tokens}${s.generated ? ` (${s.generated} generated)` : ''} across ${s.moeLayers} MoE layers${r.dense_layers.length ? ` (dense layers: ${r.dense_layers.join(', ')})` : ''}`,
    s.expertsUsed.min === s.expertsUsed.max
      ? `Experts used per layer: ${s.expertsUsed.min} of ${s.experts}`
      : `Experts used per layer: ${s.expertsUsed.min}–${s.expertsUsed.max} of ${s.experts} (mean ${s.expertsUsed.mean})`,
    `Load imbalance (max/mean): ${s.imbalance.mean} on average, ${s.imbalance.worst} at worst (layer ${s.imbalance.worstLayer})`,
    layerLoadLine(r),
    `Most used: ${s.busiest.map((b) => `expert ${b.expert} in layer ${b.layer} (${percent(b.share)} of its choices)`).join('; ')}`,
    s.topSwitches.steps
      ? `Top-1 expert changed between consecutive MoE layers: ${s.topSwitches.changed} of ${s.topSwitches.steps} times (${percent(s.topSwitches.changed / s.topSwitches.steps)})`
      : 'Top-1 expert changes between layers: one MoE layer only',
    `Latency: ${ms(s.latency.totalMs)} at the endpoint (forward ${ms(s.latency.forwardMs)}, queue ${ms(s.latency.queueMs)}, ${r.execution === 'cuda_graph' ? 'CUDA graph' : 'eager'} on ${r.device})${s.latency.roundTripMs !== undefined ? `, ${ms(s.latency.roundTripMs)} round trip` : ''}`,
  ];
  return lines;
}

export interface CompareSummary {
  meanJaccard: number;
  meanLoadOverlap: number;
  mostMoved: { layer: number; jaccard: number };
  leastMoved: { layer: number; jaccard: number };
}

export function summarizeCompare(c: CompareResponse): CompareSummary {
  const sorted = [...c.layers].sort((a, b) => a.jaccard - b.jaccard || a.layer - b.layer);
  return {
    meanJaccard: c.mean_jaccard,
    meanLoadOverlap: c.mean_load_overlap,
    mostMoved: { layer: sorted[0]!.layer, jaccard: sorted[0]!.jaccard },
    leastMoved: { layer: sorted.at(-1)!.layer, jaccard: sorted.at(-1)!.jaccard },
  };
}

export function compareSummaryLines(c: CompareResponse, s: CompareSummary, roundTripMs?: number): string[] {
  return [
    `Model: ${c.model} (${c.family}, ${c.experts} experts, top-${c.top_k})${c.random_weights ? ', random weights' : ''}`,
    `Tokens: ${c.prompts[0]!.tokens.length} and ${c.prompts[1]!.tokens.length}`,
    `Expert-set overlap (Jaccard): ${round(s.meanJaccard)} on average; lowest ${round(s.mostMoved.jaccard)} in layer ${s.mostMoved.layer}, highest ${round(s.leastMoved.jaccard)} in layer ${s.leastMoved.layer}`,
    `Load overlap: ${round(s.meanLoadOverlap)} on average (1 = the two prompts spread their tokens over the experts identically)`,
    `Latency: ${ms(c.timings.total_ms)} at the endpoint${roundTripMs !== undefined ? `, ${ms(roundTripMs)} round trip` : ''}`,
  ];
}

/** The sentence that ties the comparison to routing-induced eval flakiness. */
export function flakinessSentence(s: CompareSummary): string {
  const moved = Math.round((1 - s.meanLoadOverlap) * 100);
  return (
    `Rephrasing the question moved about ${moved}% of the expert load to other experts. ` +
    'That is routing-induced eval flakiness: the same question in other words meets different experts, ' +
    'so an eval score can move with the wording alone.'
  );
}
