import { z } from 'zod';
import type { CompareRequest, CompareResponse, HealthResponse, ModelResponse, RouteRequest, RouteResponse } from '../protocol.js';
import type { MoeEndpointError } from './errors.js';

/**
 * An endpoint kind translates one server's protocol (the bot's own deploy/moe-endpoint, vLLM,
 * SGLang) into the routing model the commands and charts use (protocol.ts). The client around it
 * (deadline, one retry, circuit breaker) and the service (rate limit, cache) are the same for all.
 */

export const ENDPOINT_KINDS = ['quizbot', 'vllm', 'sglang'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export interface KindSettings {
  /** MOE_MODEL: the model to ask for; by default the first one the server lists. */
  model?: string;
  /** MOE_NUM_EXPERTS: experts per MoE layer when the server does not say. */
  numExperts?: number;
  /** MOE_TOP_K: experts per token when the server sends a flat list (SGLang) and it should not be inferred. */
  topK?: number;
}

/** What a kind may ask of the client: one HTTP exchange under its deadline, retry and breaker. */
export interface Transport {
  /**
   * Sends a request and reads a 2xx answer with `read` (which throws MalformedAnswer when it
   * cannot, or a MoeEndpointError when the server answered but cannot serve the demo). Error
   * statuses become MoeEndpointErrors.
   */
  request<T>(method: 'GET' | 'POST', path: string, body: unknown, read: (json: unknown) => T, options?: { acceptStatus?: number[] }): Promise<T>;
  /** The server's host, for messages. */
  readonly origin: string;
  /** Milliseconds, for round-trip timings. */
  now(): number;
}

export interface ErrorDetail {
  code?: string;
  message?: string;
  retryAfterS?: number;
}

/** What /moe model can say of a model on vLLM or SGLang, and which of it was inferred from a probe. */
export interface ServedModel {
  kind: Exclude<EndpointKind, 'quizbot'>;
  model: string;
  /** Every model the server lists. */
  served: string[];
  /** Layers in the routing the server returns (vLLM and SGLang send every decoder layer). */
  layers: number;
  moe_layers: number[];
  dense_layers: number[];
  top_k: number;
  experts: number;
  /** Which of layers, dense_layers, top_k and experts were inferred rather than reported or configured. */
  inferred: Array<'layers' | 'dense_layers' | 'top_k' | 'experts'>;
  max_model_len?: number;
  /** The tokens of the probe prompt the inferred figures come from. */
  probe_tokens: number;
}

export type MoeModelInfo = ModelResponse | ServedModel;

export function isServedModel(m: MoeModelInfo): m is ServedModel {
  return 'kind' in m && (m.kind === 'vllm' || m.kind === 'sglang');
}

export interface EndpointAdapter {
  readonly kind: EndpointKind;
  health(t: Transport): Promise<HealthResponse>;
  model(t: Transport): Promise<MoeModelInfo>;
  route(t: Transport, request: RouteRequest): Promise<RouteResponse>;
  compare(t: Transport, request: CompareRequest): Promise<CompareResponse>;
  /** Reads an error answer's body (each server has its own shape). */
  errorDetail(text: string): ErrorDetail;
  /** A kind's own reading of an error status, before the common one; undefined to use the common one. */
  statusError?(status: number, detail: ErrorDetail, t: Transport): MoeEndpointError | undefined;
}

/**
 * OpenAI-style error bodies as vLLM and SGLang send them: `{"error": {"message", "type", "code"}}`
 * (vLLM's current ErrorResponse, SGLang's /generate) or `{"object": "error", "message", "type",
 * "code"}` (older vLLM, SGLang's /v1 routes), or `{"error": "Unauthorized"}` (their API-key check).
 */
const openAiError = z.union([
  z.object({ error: z.object({ message: z.string().optional(), type: z.string().optional(), code: z.union([z.number(), z.string()]).nullish() }) }),
  z.object({ object: z.literal('error'), message: z.string().optional(), type: z.string().optional(), code: z.union([z.number(), z.string()]).nullish() }),
  z.object({ error: z.string() }),
  z.object({ detail: z.string() }),
]);

export function openAiErrorDetail(text: string): ErrorDetail {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = openAiError.safeParse(json);
  if (!parsed.success) return {};
  const e = parsed.data;
  const clip = (s: string | undefined) => (s === undefined ? undefined : s.length > 300 ? `${s.slice(0, 299)}…` : s);
  if ('detail' in e) return { message: clip(e.detail) };
  if ('object' in e) return { code: e.type, message: clip(e.message) };
  if (typeof e.error === 'string') return { message: clip(e.error) };
  return { code: e.error.type, message: clip(e.error.message) };
}
