import type { DomainSet } from './domain-prompts.js';
import type { RouteResponse } from './protocol.js';
import { LruMap } from '../util/lru-map.js';
import { seededRandom } from '../util/seeded-random.js';
import { percent } from '../util/text.js';

/**
 * /moe domains: which experts each kind of text (code, maths, prose, chat) uses most at an early,
 * a middle and a late MoE layer, and how concentrated that use is. A domain's use of an expert in
 * a layer is how many of its routing choices (tokens × top-k, the prompts' special tokens such as
 * <s> left out, since every prompt shares them) went to it. Its specialisation is the share of
 * its choices its N busiest experts took, set against an even spread (N / experts) and against
 * random routing of as many tokens (a few tokens always look a little concentrated).
 */

type LayerPosition = 'early' | 'middle' | 'late';

interface ExpertUse {
  expert: number;
  count: number;
  /** Of the domain's routing choices in this layer. */
  share: number;
}

export interface DomainLayerUse {
  domain: string;
  title: string;
  /** The domain's busiest experts in this layer, most used first. */
  top: ExpertUse[];
  /** The share of the domain's choices its top experts took together. */
  topShare: number;
}

export interface DomainLayerReport {
  position: LayerPosition;
  layer: number;
  domains: DomainLayerUse[];
  /** Mean of the domains' top shares. */
  meanTopShare: number;
  /** How many different experts the domains' top lists name together (of domains × N). */
  distinctTop: number;
}

export interface DomainReport {
  model: string;
  randomWeights: boolean;
  experts: number;
  topK: number;
  device: string;
  /** Experts per domain in each top list. */
  topN: number;
  domains: { id: string; title: string; prompts: number; tokens: number }[];
  /** N / experts: the top-N share if every expert took the same load. */
  evenShare: number;
  /** The mean top-N share random routing of each domain's tokens gives (expected, simulated). */
  chanceShare: number;
  layers: DomainLayerReport[];
  /** The prompt set's hash (see domain-prompts.ts). */
  promptSet: string;
}

/** Tokens every prompt of a model shares, not text: <s>, <|endoftext|>, [CLS]. */
export function isSpecialToken(text: string): boolean {
  return /^<\|?[^<>\s]*\|?>$/.test(text) || /^\[[A-Z]+\]$/.test(text);
}

/** Experts in a domain's top list: 4, fewer for models with few experts. */
function topCount(experts: number): number {
  return Math.max(1, Math.min(4, Math.floor(experts / 4)));
}

/** Which routing columns to show: the first, the middle and the last MoE layer (fewer when the model has fewer). */
export function pickLayers(moeLayers: number): { position: LayerPosition; column: number }[] {
  const picks: { position: LayerPosition; column: number }[] = [{ position: 'early', column: 0 }];
  const middle = Math.floor((moeLayers - 1) / 2);
  if (middle > 0 && middle < moeLayers - 1) picks.push({ position: 'middle', column: middle });
  if (moeLayers > 1) picks.push({ position: 'late', column: moeLayers - 1 });
  return picks;
}

const chanceCache = new LruMap<string, number>(1000);

/**
 * The expected share of `tokens × topK` choices that the N busiest of `experts` take when each
 * token picks its top-k experts at random: 400 simulated rounds.
 */
export function chanceTopShare(tokens: number, topK: number, experts: number, n: number): number {
  const key = `${tokens}|${topK}|${experts}|${n}`;
  const known = chanceCache.get(key);
  if (known !== undefined) return known;
  const k = Math.min(topK, experts);
  if (tokens === 0 || k === 0) return 0;
  const random = seededRandom(tokens * 1_000_003 + k * 1009 + experts * 31 + n);
  const rounds = 400;
  const ids = Array.from({ length: experts }, (_, i) => i);
  let total = 0;
  for (let round = 0; round < rounds; round++) {
    const counts = new Array<number>(experts).fill(0);
    for (let t = 0; t < tokens; t++) {
      // A partial Fisher-Yates shuffle: k distinct experts.
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(random() * (experts - i));
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        counts[ids[i]!]!++;
      }
    }
    counts.sort((a, b) => b - a);
    total += counts.slice(0, n).reduce((s, c) => s + c, 0) / (tokens * k);
  }
  const share = total / rounds;
  chanceCache.set(key, share);
  return share;
}

/** Each domain's routes, in the set's order: routes[d][p] is prompt p of domain d. */
export function analyseDomains(set: DomainSet, routes: RouteResponse[][]): DomainReport {
  const first = routes[0]?.[0];
  if (!first) throw new Error('no routes to analyse');
  const experts = Math.max(...routes.flat().map((r) => r.experts));
  const topK = first.top_k;
  const n = topCount(experts);
  const columns = Math.min(...routes.flat().map((r) => r.routing.length));
  const tokensOf = (r: RouteResponse) => r.tokens.map((t, i) => ({ i, t })).filter(({ t }) => !t.generated && !isSpecialToken(t.text));
  const domains = set.domains.map((d, di) => ({
    id: d.id,
    title: d.title,
    prompts: d.prompts.length,
    tokens: routes[di]!.reduce((s, r) => s + tokensOf(r).length, 0),
  }));
  const layers = pickLayers(columns).map(({ position, column }): DomainLayerReport => {
    const use = set.domains.map((d, di): DomainLayerUse => {
      const counts = new Array<number>(experts).fill(0);
      let choices = 0;
      for (const r of routes[di]!) {
        const rows = r.routing[column]!.experts;
        for (const { i } of tokensOf(r)) {
          for (const e of rows[i] ?? []) {
            counts[e]!++;
            choices++;
          }
        }
      }
      const top = counts
        .map((count, expert) => ({ expert, count, share: choices ? count / choices : 0 }))
        .filter((e) => e.count > 0)
        .sort((a, b) => b.count - a.count || a.expert - b.expert)
        .slice(0, n);
      return { domain: d.id, title: d.title, top, topShare: top.reduce((s, e) => s + e.share, 0) };
    });
    return {
      position,
      layer: first.routing[column]!.layer,
      domains: use,
      meanTopShare: use.reduce((s, u) => s + u.topShare, 0) / use.length,
      distinctTop: new Set(use.flatMap((u) => u.top.map((e) => e.expert))).size,
    };
  });
  const chance = domains.reduce((s, d) => s + chanceTopShare(d.tokens, topK, experts, n), 0) / domains.length;
  return {
    model: first.model,
    randomWeights: first.random_weights,
    experts,
    topK,
    device: first.device,
    topN: n,
    domains,
    evenShare: n / experts,
    chanceShare: chance,
    layers,
    promptSet: set.hash,
  };
}

const times = (x: number) => `${x >= 10 ? Math.round(x) : (Math.round(x * 10) / 10).toFixed(1)}×`;

/**
 * The sentence on how specialised the domains are: at the most concentrated layer, the top
 * experts' share against an even spread and against chance, and whether the domains lean on
 * experts of their own or all on the same few (their top lists name few different experts).
 */
export function specialisationSentence(r: DomainReport): string {
  const best = [...r.layers].sort((a, b) => b.meanTopShare - a.meanTopShare || a.layer - b.layer)[0]!;
  const others = r.layers.filter((l) => l !== best).map((l) => `${percent(l.meanTopShare)} at the ${l.position} layer`);
  const picks = r.domains.length * r.topN;
  const lists = `the domains' top lists name ${best.distinctTop} different experts of ${picks} picks`;
  let verdict: string;
  if (best.meanTopShare <= r.chanceShare * 1.15) {
    verdict = `no more than the ${percent(r.chanceShare)} random routing of as many tokens would give, so these prompts show no specialisation`;
  } else if (best.distinctTop < picks * 0.75) {
    verdict = `above the ${percent(r.chanceShare)} random routing of as many tokens would give, but ${lists}: the domains lean on the same few experts, a preference of the router rather than specialisation by domain`;
  } else {
    verdict = `above the ${percent(r.chanceShare)} random routing of as many tokens would give, and ${lists}: each domain leans on experts of its own`;
  }
  let sentence =
    `At the ${best.position} layer (layer ${best.layer}) each domain's ${r.topN} busiest experts take ${percent(best.meanTopShare)} of its routing on average` +
    `${others.length ? ` (${others.join(', ')})` : ''}: ${times(best.meanTopShare / r.evenShare)} the ${percent(r.evenShare)} of an even spread, ${verdict}.`;
  if (r.randomWeights) sentence += ' The model has random weights: any pattern is the untrained router\u2019s, not learned specialisation.';
  return sentence;
}

/** Plain lines for the reply, the CLI and the alt text: the model, then each shown layer's top experts per domain. */
export function domainLines(r: DomainReport): string[] {
  const tokens = r.domains.reduce((s, d) => s + d.tokens, 0);
  return [
    `Model: ${r.model} (${r.experts} experts, top-${r.topK})${r.randomWeights ? ', random weights' : ''}`,
    `Prompts: ${r.domains.map((d) => `${d.title} ${d.prompts} (${d.tokens} tokens)`).join(', ')}; ${tokens} tokens in all`,
    ...r.layers.map(
      (l) =>
        `Layer ${l.layer} (${l.position}): ` +
        l.domains.map((d) => `${d.title} → expert${d.top.length === 1 ? '' : 's'} ${d.top.map((e) => e.expert).join(', ')} (${percent(d.topShare)})`).join('; '),
    ),
    `Even spread: ${percent(r.evenShare)} for ${r.topN} experts; random routing of as many tokens: about ${percent(r.chanceShare)}`,
  ];
}
