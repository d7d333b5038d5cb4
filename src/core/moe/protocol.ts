import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../paths.js';

/**
 * The GPU endpoint's wire protocol (deploy/moe-endpoint), version 1, as zod schemas. The one
 * written definition is the JSON Schema at PROTOCOL_SCHEMA_PATH; these schemas mirror it field for
 * field (tests check both judge the same samples alike). Responses may carry fields this version
 * does not know: they are dropped, not refused. Requests are strict, as the endpoint is.
 */

export const PROTOCOL_VERSION = 1;
export const PROTOCOL_SCHEMA_PATH = join(packageRoot, 'deploy', 'moe-endpoint', 'protocol', 'moe-endpoint.v1.schema.json');
export const PROTOCOL_SAMPLES_PATH = join(packageRoot, 'deploy', 'moe-endpoint', 'protocol', 'examples', 'samples.json');

const count = z.number().int().min(0);
const layerList = z.array(count);
const prompt = z.string().min(1);

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'prompt_too_long',
  'queue_full',
  'timeout',
  'loading',
  'internal',
] as const;

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().max(500),
    retry_after_s: z.number().min(0).optional(),
  }),
});

const queueState = z.object({ depth: count, capacity: z.number().int().min(1) });

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'loading', 'error']),
  protocol_version: z.literal(PROTOCOL_VERSION),
  model: z.string(),
  ready: z.boolean(),
  queue: queueState,
});

export const FAMILIES = ['mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'deepseek_v3', 'gpt_oss', 'other'] as const;
const family = z.enum(FAMILIES);

export const modelResponseSchema = z.object({
  protocol_version: z.literal(PROTOCOL_VERSION),
  model: z.string().min(1),
  family,
  model_type: z.string(),
  random_weights: z.boolean(),
  layers: z.number().int().min(1),
  moe_layers: layerList,
  dense_layers: layerList,
  experts: z.number().int().min(1),
  top_k: z.number().int().min(1),
  shared_experts: count,
  routing: z.object({
    rule: z.enum(['softmax_topk', 'topk_softmax', 'sigmoid_group_topk', 'router_choice']),
    renormalize: z.boolean(),
    weight_sum: z.number().nullable(),
    description: z.string(),
  }),
  parameters: z.object({ total: z.number().int().min(1), active: z.number().int().min(1) }),
  dtype: z.string(),
  device: z.string(),
  limits: z.object({
    max_prompt_chars: z.number().int().min(1),
    max_prompt_tokens: z.number().int().min(1),
    max_new_tokens: count,
    queue_capacity: z.number().int().min(1),
    request_timeout_s: z.number().positive(),
  }),
});

export const routeRequestSchema = z.strictObject({
  prompt,
  max_new_tokens: z.number().int().min(0).max(256).optional(),
});

export const compareRequestSchema = z.strictObject({
  prompts: z.array(prompt).min(2).max(2),
});

const token = z.object({ index: count, id: count, text: z.string(), generated: z.boolean() });

const layerRouting = z.object({
  layer: count,
  experts: z.array(z.array(count).min(1)),
  weights: z.array(z.array(z.number()).min(1)),
  load: z.array(count).min(1),
});

const timings = z.object({
  queue_ms: z.number().min(0),
  tokenize_ms: z.number().min(0),
  forward_ms: z.number().min(0),
  total_ms: z.number().min(0),
});

const execution = z.enum(['cuda_graph', 'eager']);

/** The fields every routing answer starts with: which model, and how it routes. */
const modelHeader = {
  protocol_version: z.literal(PROTOCOL_VERSION),
  model: z.string().min(1),
  family,
  random_weights: z.boolean(),
  experts: z.number().int().min(1),
  top_k: z.number().int().min(1),
};

export const routeResponseSchema = z.object({
  ...modelHeader,
  shared_experts: count,
  tokens: z.array(token).min(1),
  moe_layers: layerList,
  dense_layers: layerList,
  routing: z.array(layerRouting).min(1),
  timings,
  device: z.string(),
  execution,
});

const share = z.number().min(0).max(1);

export const compareResponseSchema = z.object({
  ...modelHeader,
  prompts: z.array(z.object({ tokens: z.array(z.string()).min(1) })).min(2).max(2),
  layers: z
    .array(
      z.object({
        layer: count,
        jaccard: share,
        load_overlap: share,
        experts_a: count,
        experts_b: count,
        shared: count,
      }),
    )
    .min(1),
  mean_jaccard: share,
  mean_load_overlap: share,
  timings,
  device: z.string(),
  execution,
});

/** The protocol's messages by their JSON Schema names ($defs). */
export const MESSAGE_SCHEMAS = {
  ErrorResponse: errorResponseSchema,
  HealthResponse: healthResponseSchema,
  ModelResponse: modelResponseSchema,
  RouteRequest: routeRequestSchema,
  RouteResponse: routeResponseSchema,
  CompareRequest: compareRequestSchema,
  CompareResponse: compareResponseSchema,
} as const;

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
export type HealthResponse = z.infer<typeof healthResponseSchema>;
export type ModelResponse = z.infer<typeof modelResponseSchema>;
export type RouteRequest = z.infer<typeof routeRequestSchema>;
export type RouteResponse = z.infer<typeof routeResponseSchema>;
export type CompareRequest = z.infer<typeof compareRequestSchema>;
export type CompareResponse = z.infer<typeof compareResponseSchema>;

/**
 * What a schema cannot say: the shapes agree with each other (a row per token in every layer, top-k
 * experts per row, expert ids below the expert count). Undefined when all is well.
 */
export function routeInconsistency(r: RouteResponse): string | undefined {
  if (r.routing.length !== r.moe_layers.length) return `${r.routing.length} routing layers for ${r.moe_layers.length} MoE layers`;
  for (const layer of r.routing) {
    if (layer.experts.length !== r.tokens.length || layer.weights.length !== r.tokens.length) {
      return `layer ${layer.layer} has ${layer.experts.length} rows for ${r.tokens.length} tokens`;
    }
    if (layer.load.length !== r.experts) return `layer ${layer.layer} has load for ${layer.load.length} of ${r.experts} experts`;
    for (let t = 0; t < layer.experts.length; t++) {
      const row = layer.experts[t]!;
      if (row.length !== r.top_k || layer.weights[t]!.length !== r.top_k) return `layer ${layer.layer}, token ${t}: not ${r.top_k} experts`;
      if (row.some((e) => e >= r.experts)) return `layer ${layer.layer}, token ${t}: expert id out of range`;
    }
  }
  return undefined;
}

export function compareInconsistency(c: CompareResponse): string | undefined {
  for (const layer of c.layers) {
    if (layer.shared > Math.min(layer.experts_a, layer.experts_b)) return `layer ${layer.layer}: more shared experts than used`;
    if (Math.max(layer.experts_a, layer.experts_b) > c.experts) return `layer ${layer.layer}: more experts used than exist`;
  }
  return undefined;
}
