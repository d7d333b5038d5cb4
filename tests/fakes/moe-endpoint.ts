import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { schemaError, type MessageName } from '../helpers/moe-protocol.js';
import { startRecordingServer, withFaults, type FaultyServer } from './recording-server.js';

/**
 * A stand-in for deploy/moe-endpoint: a node:http server that speaks protocol v1 with
 * deterministic fake routing (each token's experts come from a hash of its text and the layer, so
 * the same prompt always routes alike and a rephrased one routes differently). Requests are
 * checked against the protocol's JSON Schema, and so is every answer it gives, unless a fault asks
 * it to misbehave: refuse connections, drop them, hang, answer slowly, send garbage or JSON that
 * breaks the protocol, or answer with an error status such as 429.
 */

export type MoeErrorCode = 'bad_request' | 'unauthorized' | 'queue_full' | 'timeout' | 'loading' | 'internal' | 'prompt_too_long';

export type MoeFault =
  | { kind: 'none' }
  /** Not listening: connections are refused. */
  | { kind: 'down' }
  /** Accepts the connection, then drops it without an answer (the next `times` requests, or all). */
  | { kind: 'reset'; times?: number }
  /** Never answers. */
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'garbage' }
  /** 200 with JSON that breaks the protocol's schema. */
  | { kind: 'invalid' }
  /** 200 with schema-valid JSON whose shapes disagree (a routing row missing). */
  | { kind: 'inconsistent' }
  /** An error answer in the protocol's shape. */
  | { kind: 'status'; status: number; code: MoeErrorCode; message?: string; retryAfterS?: number };

export interface FakeMoeOptions {
  token?: string;
  model?: string;
  family?: 'mixtral' | 'qwen2_moe' | 'qwen3_moe' | 'olmoe' | 'deepseek_v3' | 'gpt_oss' | 'other';
  experts?: number;
  topK?: number;
  moeLayers?: number;
  denseLayers?: number[];
  randomWeights?: boolean;
  maxPromptChars?: number;
  maxNewTokens?: number;
}

export type FakeMoeEndpoint = FaultyServer<MoeFault>;

const PIECE = /( ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]|\s+(?!\S)|\s+)/g;
const GENERATED = [' experts', ' route', ' each', ' token', ' to', ' a', ' few', ' of', ' them', '.'];

export function fakeTokens(text: string): string[] {
  return ['<s>', ...(text.match(PIECE) ?? [])];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The id the fakes give a token's text: the same text, the same id, on every fake. */
export function fakeTokenId(text: string): number {
  return digest(text).readUInt16BE(0) + 2;
}

/** The fake router: top-k distinct experts for a token in a layer, highest weight first. */
export function fakeChoice(token: string, layer: number, experts: number, topK: number): { experts: number[]; weights: number[] } {
  const bytes = digest(`${token.trim().toLowerCase()}|${layer}`);
  const chosen: number[] = [];
  for (let i = 0; chosen.length < topK; i++) {
    const e = (bytes[i % bytes.length]! + Math.floor(i / bytes.length)) % experts;
    if (!chosen.includes(e)) chosen.push(e);
  }
  const raw = chosen.map((_, j) => topK - j + (bytes[(j + 7) % bytes.length]! / 255) * 0.5);
  const sum = raw.reduce((a, b) => a + b, 0);
  return { experts: chosen, weights: raw.map((w) => Math.round((w / sum) * 1e5) / 1e5) };
}

export async function startFakeMoeEndpoint(options: FakeMoeOptions = {}): Promise<FakeMoeEndpoint> {
  const experts = options.experts ?? 8;
  const topK = options.topK ?? 2;
  const dense = options.denseLayers ?? [];
  const totalLayers = (options.moeLayers ?? 4) + dense.length;
  const moeLayers = [...Array(totalLayers).keys()].filter((l) => !dense.includes(l));
  const model = options.model ?? 'fake/moe-tiny';
  const family = options.family ?? 'olmoe';
  const maxPromptChars = options.maxPromptChars ?? 2000;
  const maxNewTokens = options.maxNewTokens ?? 16;
  let fault: MoeFault = { kind: 'none' };

  const base = () => ({ protocol_version: 1, model, family, random_weights: options.randomWeights ?? true, experts, top_k: topK });
  const timings = (forward: number) => ({ queue_ms: 0, tokenize_ms: 0.05, forward_ms: forward, total_ms: forward + 0.1 });

  function route(prompt: string, maxNew: number) {
    const pieces = [...fakeTokens(prompt), ...Array.from({ length: maxNew }, (_, i) => GENERATED[i % GENERATED.length]!)];
    const promptLength = pieces.length - maxNew;
    const tokens = pieces.map((text, index) => ({ index, id: fakeTokenId(text), text, generated: index >= promptLength }));
    const routing = moeLayers.map((layer) => {
      const choices = pieces.map((p) => fakeChoice(p, layer, experts, topK));
      const load = new Array<number>(experts).fill(0);
      for (const c of choices) for (const e of c.experts) load[e]!++;
      return { layer, experts: choices.map((c) => c.experts), weights: choices.map((c) => c.weights), load };
    });
    return { ...base(), shared_experts: 0, tokens, moe_layers: moeLayers, dense_layers: dense, routing, timings: timings(1.5 + tokens.length * 0.01), device: 'cpu (fake)', execution: 'eager' as const };
  }

  function compare(a: string, b: string) {
    const ra = route(a, 0);
    const rb = route(b, 0);
    const layers = ra.routing.map((la, i) => {
      const lb = rb.routing[i]!;
      const setA = new Set(la.experts.flat());
      const setB = new Set(lb.experts.flat());
      const shared = [...setA].filter((e) => setB.has(e)).length;
      const union = new Set([...setA, ...setB]).size;
      const ta = la.load.reduce((x, y) => x + y, 0);
      const tb = lb.load.reduce((x, y) => x + y, 0);
      const overlap = la.load.reduce((s, x, e) => s + Math.min(x / ta, lb.load[e]! / tb), 0);
      const r4 = (n: number) => Math.round(Math.min(1, n) * 1e4) / 1e4;
      return { layer: la.layer, jaccard: r4(union ? shared / union : 1), load_overlap: r4(overlap), experts_a: setA.size, experts_b: setB.size, shared };
    });
    const mean = (k: 'jaccard' | 'load_overlap') => Math.round((layers.reduce((s, l) => s + l[k], 0) / layers.length) * 1e4) / 1e4;
    return {
      ...base(),
      prompts: [{ tokens: ra.tokens.map((t) => t.text) }, { tokens: rb.tokens.map((t) => t.text) }],
      layers,
      mean_jaccard: mean('jaccard'),
      mean_load_overlap: mean('load_overlap'),
      timings: timings(3),
      device: 'cpu (fake)',
      execution: 'eager' as const,
    };
  }

  function describe() {
    return {
      ...base(),
      model_type: family,
      layers: totalLayers,
      moe_layers: moeLayers,
      dense_layers: dense,
      shared_experts: 0,
      routing: { rule: 'softmax_topk', renormalize: true, weight_sum: 1, description: `softmax over ${experts} experts, top-${topK}, renormalised` },
      parameters: { total: 1_000_000, active: 400_000 },
      dtype: 'float32',
      device: 'cpu (fake)',
      limits: { max_prompt_chars: maxPromptChars, max_prompt_tokens: 512, max_new_tokens: maxNewTokens, queue_capacity: 4, request_timeout_s: 30 },
    };
  }

  function send(res: ServerResponse, status: number, body: unknown, message: MessageName, headers: Record<string, string> = {}): void {
    const problem = schemaError(message, body);
    if (problem) throw new Error(`the fake endpoint broke its own protocol (${message}): ${problem}`);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  function error(res: ServerResponse, status: number, code: MoeErrorCode, message: string, retryAfterS?: number): void {
    const body = { error: { code, message, ...(retryAfterS !== undefined ? { retry_after_s: retryAfterS } : {}) } };
    send(res, status, body, 'ErrorResponse', retryAfterS !== undefined ? { 'Retry-After': String(retryAfterS) } : {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): Promise<void> {
    const current = fault;
    if (current.kind === 'reset') {
      if (current.times !== undefined && --current.times <= 0) fault = { kind: 'none' };
      req.socket.destroy();
      return;
    }
    if (current.kind === 'hang') return;
    if (current.kind === 'slow') await new Promise((r) => setTimeout(r, current.delayMs));
    if (current.kind === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    if (current.kind === 'status') {
      error(res, current.status, current.code, current.message ?? `fake ${current.code}`, current.retryAfterS);
      return;
    }

    if (options.token && path !== '/v1/health' && req.headers.authorization !== `Bearer ${options.token}`) {
      error(res, 401, 'unauthorized', 'missing or wrong bearer token (MOE_API_TOKEN)');
      return;
    }
    const expect = (method: string) => {
      if (req.method === method) return true;
      res.writeHead(405, { 'Content-Type': 'application/json', Allow: method });
      res.end(JSON.stringify({ error: { code: 'method_not_allowed', message: `${path} takes ${method}` } }));
      return false;
    };

    if (path === '/v1/health') {
      if (!expect('GET')) return;
      return send(res, 200, { status: 'ok', protocol_version: 1, model, ready: true, queue: { depth: 0, capacity: 4 } }, 'HealthResponse');
    }
    if (path === '/v1/model') {
      if (!expect('GET')) return;
      return send(res, 200, describe(), 'ModelResponse');
    }
    if (path === '/v1/route' || path === '/v1/compare') {
      if (!expect('POST')) return;
      const message = path === '/v1/route' ? 'RouteRequest' : 'CompareRequest';
      const problem = schemaError(message, body);
      if (problem) return error(res, 400, 'bad_request', problem.slice(0, 200));
      if (path === '/v1/route') {
        const { prompt, max_new_tokens: maxNew = 0 } = body as { prompt: string; max_new_tokens?: number };
        if (prompt.length > maxPromptChars) return error(res, 413, 'prompt_too_long', `prompt has ${prompt.length} characters; the limit is ${maxPromptChars}`);
        if (maxNew > maxNewTokens) return error(res, 400, 'bad_request', `max_new_tokens: this server allows at most ${maxNewTokens}`);
        const answer = route(prompt, maxNew);
        if (current.kind === 'invalid') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ ...answer, routing: 'none' }));
          return;
        }
        if (current.kind === 'inconsistent') answer.routing[0]!.experts.pop();
        return send(res, 200, answer, 'RouteResponse');
      }
      const [a, b] = (body as { prompts: [string, string] }).prompts;
      const answer = compare(a, b);
      if (current.kind === 'invalid') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ...answer, layers: [{ layer: 0, jaccard: 7 }] }));
        return;
      }
      return send(res, 200, answer, 'CompareResponse');
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'not_found', message: `no such endpoint ${path}` } }));
  }

  const server = await startRecordingServer(handle, (res, err) => {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'internal', message: String(err.message).slice(0, 400) } }));
  });

  return withFaults<MoeFault>(server, (next) => {
    fault = next.kind === 'reset' ? { ...next } : next;
  });
}
