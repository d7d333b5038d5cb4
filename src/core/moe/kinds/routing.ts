import { parse as parseNpy } from 'npyjs';
import type { CompareResponse, RouteResponse } from '../protocol.js';
import { MalformedAnswer } from './errors.js';

/**
 * Routed experts as vLLM and SGLang send them, turned into the bot's routing model: a tensor of
 * expert ids [token][layer][slot], token texts beside it, and from these the per-layer rows and
 * loads the heatmap and the comparison draw. Neither server sends gate weights, so rows carry
 * none (`weights` rows are empty); everything here works from expert ids alone.
 */

/** Expert ids, row-major [rows][layers][topK]. */
export interface ExpertTensor {
  rows: number;
  layers: number;
  topK: number;
  data: ArrayLike<number>;
}

export function at(t: ExpertTensor, row: number, layer: number, slot: number): number {
  return t.data[(row * t.layers + layer) * t.topK + slot]!;
}

function bytesOf(base64: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64.replace(/\s+/g, ''))) throw new MalformedAnswer('routed experts are not base64');
  return Buffer.from(base64, 'base64');
}

/** A copy in a fresh ArrayBuffer, so typed arrays over it are aligned. */
function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

const INTEGER_DTYPES = new Set(['i1', 'u1', 'i2', 'u2', 'i4', 'u4']);

/**
 * vLLM's `routed_experts`: base64 of a NumPy .npy file (np.save), shape [tokens, layers, top_k],
 * dtype uint8, uint16 or int32 (vllm/entrypoints/openai/completion/protocol.py,
 * CompletionResponseChoice.routed_experts).
 */
export function tensorFromNpyBase64(base64: string): ExpertTensor {
  const bytes = bytesOf(base64);
  let npy: ReturnType<typeof parseNpy>;
  try {
    npy = parseNpy(arrayBufferOf(bytes));
  } catch (err) {
    throw new MalformedAnswer(`routed experts are not a NumPy array (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!INTEGER_DTYPES.has(npy.dtype)) throw new MalformedAnswer(`routed experts have dtype ${npy.dtype}, not integers`);
  if (npy.fortranOrder) throw new MalformedAnswer('routed experts are in Fortran order');
  if (npy.shape.length !== 3) throw new MalformedAnswer(`routed experts have shape [${npy.shape.join(', ')}], not [tokens, layers, top_k]`);
  const [rows, layers, topK] = npy.shape as [number, number, number];
  const data = npy.data as unknown as ArrayLike<number>;
  if (data.length < rows * layers * topK) throw new MalformedAnswer('routed experts are shorter than their shape');
  return { rows, layers, topK, data };
}

/** Nested lists [tokens][layers][top_k] of expert ids (the JSON form some vLLM versions send). */
export function tensorFromLists(value: unknown): ExpertTensor {
  if (!Array.isArray(value)) throw new MalformedAnswer('routed experts are neither base64 nor a list');
  const rows = value.length;
  const first = value[0];
  const layers = Array.isArray(first) ? first.length : 0;
  const topK = layers && Array.isArray(first[0]) ? (first[0] as unknown[]).length : 0;
  if (rows && (!layers || !topK)) throw new MalformedAnswer('routed experts are not [tokens][layers][top_k]');
  const data = new Int32Array(rows * layers * topK);
  let i = 0;
  for (const row of value) {
    if (!Array.isArray(row) || row.length !== layers) throw new MalformedAnswer('routed experts rows differ in their number of layers');
    for (const slots of row) {
      if (!Array.isArray(slots) || slots.length !== topK) throw new MalformedAnswer('routed experts rows differ in top-k');
      for (const e of slots) {
        if (!Number.isInteger(e) || (e as number) < 0) throw new MalformedAnswer('routed experts hold a value that is not an expert id');
        data[i++] = e as number;
      }
    }
  }
  return { rows, layers, topK, data };
}

/** vLLM: a base64 .npy string, or nested lists. */
export function tensorFromVllmField(value: unknown): ExpertTensor {
  return typeof value === 'string' ? tensorFromNpyBase64(value) : tensorFromLists(value);
}

/** SGLang's `routed_experts`: base64 of raw little-endian int32 ids, flat (python/sglang/srt/state_capturer/routed_experts.py). */
export function int32sFromBase64(base64: string): Int32Array {
  const bytes = bytesOf(base64);
  if (bytes.length % 4 !== 0) throw new MalformedAnswer('routed experts are not a whole number of int32 values');
  const out = new Int32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4);
  return out;
}

/** A layer no router ran in: the capture buffer's zeros in every slot of every token. */
function isDenseLayer(t: ExpertTensor, layer: number, rows: number): boolean {
  if (rows === 0 || (t.topK === 1 && rows < 2)) return false;
  for (let r = 0; r < rows; r++) for (let k = 0; k < t.topK; k++) if (at(t, r, layer, k) !== 0) return false;
  return true;
}

/** Top-k distinct experts per token and layer, or all zeros (a dense layer's untouched buffer). */
function slotsValid(data: ArrayLike<number>, rows: number, width: number, topK: number): boolean {
  const layers = width / topK;
  for (let r = 0; r < rows; r++) {
    for (let l = 0; l < layers; l++) {
      const base = r * width + l * topK;
      const seen = new Set<number>();
      let zeros = 0;
      for (let k = 0; k < topK; k++) {
        const e = data[base + k]!;
        if (e === 0) zeros++;
        seen.add(e);
      }
      if (seen.size !== topK && zeros !== topK) return false;
    }
  }
  return true;
}

/**
 * A slot that holds 0 for every token in a layer whose other slots do not: under this top-k a
 * dense layer's zeros sit beside a real layer's experts, so the split is too wide (with top-1,
 * the zero of a dense layer and the experts of its neighbours are distinct, so only this shows
 * it). A single token proves nothing: it may have chosen expert 0.
 */
function zeroSlotBesideExperts(data: ArrayLike<number>, rows: number, width: number, topK: number): boolean {
  if (rows < 2 || topK < 2) return false;
  for (let base = 0; base < width; base += topK) {
    let anyExpert = false;
    const zeroSlot = new Array<boolean>(topK).fill(true);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < topK; k++) {
        if (data[r * width + base + k] !== 0) {
          anyExpert = true;
          zeroSlot[k] = false;
        }
      }
    }
    if (anyExpert && zeroSlot.includes(true)) return true;
  }
  return false;
}

/**
 * SGLang sends a flat list: rows × (layers × top_k) ids. Top-k is the largest divisor of the
 * width (at most 32) under which every token's slots in a layer are distinct experts, since a
 * router never picks one expert twice (and two layers side by side almost always share one), and
 * no slot is a dense layer's zero beside real experts.
 */
export function inferTopK(data: ArrayLike<number>, rows: number, width: number): number | undefined {
  for (let k = Math.min(32, width); k >= 1; k--) {
    if (width % k === 0 && slotsValid(data, rows, width, k) && !zeroSlotBesideExperts(data, rows, width, k)) return k;
  }
  return undefined;
}

export interface RouteToken {
  id: number;
  text: string;
  generated: boolean;
}

export interface RouteInput {
  model: string;
  tokens: RouteToken[];
  tensor: ExpertTensor;
  /** MOE_NUM_EXPERTS, else the largest expert id + 1. */
  numExperts?: number;
  /** Generated tokens to keep (the servers are asked for one more, whose routing they never compute). */
  maxGenerated: number;
  device: string;
  totalMs: number;
}

export interface BuiltRoute {
  route: RouteResponse;
  expertsInferred: boolean;
}

/** The routing model from ids and texts: tokens without a routing row (the last sampled one) are left out. */
export function buildRoute(input: RouteInput): BuiltRoute {
  const { tensor } = input;
  const kept: RouteToken[] = [];
  let generated = 0;
  for (const token of input.tokens) {
    if (kept.length >= tensor.rows) break;
    if (token.generated) {
      if (generated >= input.maxGenerated) break;
      generated++;
    }
    kept.push(token);
  }
  if (kept.length === 0) throw new MalformedAnswer('no token has routed experts');
  const rows = kept.length;
  const layerIds = [...Array(tensor.layers).keys()];
  const dense = layerIds.filter((l) => isDenseLayer(tensor, l, rows));
  const moe = layerIds.filter((l) => !dense.includes(l));
  if (moe.length === 0) throw new MalformedAnswer('every layer\u2019s routed experts are zero: is this an MoE model?');
  let maxId = 0;
  for (const l of moe) for (let r = 0; r < rows; r++) for (let k = 0; k < tensor.topK; k++) maxId = Math.max(maxId, at(tensor, r, l, k));
  const experts = input.numExperts ?? maxId + 1;
  if (maxId >= experts) throw new MalformedAnswer(`expert id ${maxId} is out of range for MOE_NUM_EXPERTS=${experts}`);
  const routing = moe.map((layer) => {
    const load = new Array<number>(experts).fill(0);
    const rowsOut: number[][] = [];
    for (let r = 0; r < rows; r++) {
      const row: number[] = [];
      for (let k = 0; k < tensor.topK; k++) {
        const e = at(tensor, r, layer, k);
        row.push(e);
        load[e]!++;
      }
      rowsOut.push(row);
    }
    return { layer, experts: rowsOut, weights: rowsOut.map(() => []), load };
  });
  const route: RouteResponse = {
    protocol_version: 1,
    model: input.model,
    family: 'other',
    random_weights: false,
    experts,
    top_k: tensor.topK,
    shared_experts: 0,
    tokens: kept.map((t, index) => ({ index, id: t.id, text: t.text, generated: t.generated })),
    moe_layers: moe,
    dense_layers: dense,
    routing,
    timings: { queue_ms: 0, tokenize_ms: 0, forward_ms: input.totalMs, total_ms: input.totalMs },
    device: input.device,
    execution: 'eager',
  };
  return { route, expertsInferred: input.numExperts === undefined };
}

const round4 = (n: number) => Math.round(Math.min(1, n) * 1e4) / 1e4;

/** Two prompts' routing compared layer by layer: expert-set Jaccard and load overlap (as deploy/moe-endpoint's stats.py defines them). */
export function compareRoutes(a: RouteResponse, b: RouteResponse): CompareResponse {
  const experts = Math.max(a.experts, b.experts);
  const layersB = new Map(b.routing.map((l) => [l.layer, l]));
  const layers = a.routing.flatMap((la) => {
    const lb = layersB.get(la.layer);
    if (!lb) return [];
    const setA = new Set(la.experts.flat());
    const setB = new Set(lb.experts.flat());
    const shared = [...setA].filter((e) => setB.has(e)).length;
    const union = new Set([...setA, ...setB]).size;
    const load = (l: typeof la) => Array.from({ length: experts }, (_, e) => l.load[e] ?? 0);
    const loadA = load(la);
    const loadB = load(lb);
    const ta = loadA.reduce((s, x) => s + x, 0);
    const tb = loadB.reduce((s, x) => s + x, 0);
    const overlap = ta === 0 || tb === 0 ? (ta === tb ? 1 : 0) : loadA.reduce((s, x, e) => s + Math.min(x / ta, loadB[e]! / tb), 0);
    return [{ layer: la.layer, jaccard: round4(union ? shared / union : 1), load_overlap: round4(overlap), experts_a: setA.size, experts_b: setB.size, shared }];
  });
  if (layers.length === 0) throw new MalformedAnswer('the two prompts share no MoE layer');
  const mean = (k: 'jaccard' | 'load_overlap') => round4(layers.reduce((s, l) => s + l[k], 0) / layers.length);
  const total = a.timings.total_ms + b.timings.total_ms;
  return {
    protocol_version: 1,
    model: a.model,
    family: a.family,
    random_weights: false,
    experts,
    top_k: a.top_k,
    prompts: [{ tokens: a.tokens.map((t) => t.text) }, { tokens: b.tokens.map((t) => t.text) }],
    layers,
    mean_jaccard: mean('jaccard'),
    mean_load_overlap: mean('load_overlap'),
    timings: { queue_ms: 0, tokenize_ms: 0, forward_ms: total, total_ms: total },
    device: a.device,
    execution: a.execution,
  };
}

/** Prompt rows then generated rows (vLLM 0.21 sends them apart: prompt_routed_experts and routed_experts). */
export function concatTensors(a: ExpertTensor, b: ExpertTensor): ExpertTensor {
  if (a.rows === 0) return b;
  if (b.rows === 0) return a;
  if (a.layers !== b.layers || a.topK !== b.topK) throw new MalformedAnswer('prompt and generated routed experts differ in shape');
  const data = new Int32Array((a.rows + b.rows) * a.layers * a.topK);
  data.set(Array.from(a.data), 0);
  data.set(Array.from(b.data), a.rows * a.layers * a.topK);
  return { rows: a.rows + b.rows, layers: a.layers, topK: a.topK, data };
}
