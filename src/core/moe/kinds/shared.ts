import { z } from 'zod';
import type { HealthResponse } from '../protocol.js';
import { MalformedAnswer, MoeEndpointError } from './errors.js';
import type { ErrorDetail, KindSettings, ServedModel, Transport } from './types.js';
import type { RouteResponse } from '../protocol.js';

/** What vLLM and SGLang have in common: the OpenAI model list, the error statuses, and /moe model's probe. */

const modelList = z.object({
  data: z.array(z.object({ id: z.string().min(1), max_model_len: z.number().int().positive().nullish() }).loose()),
});

export type ModelList = z.infer<typeof modelList>;

export function readWith<T>(schema: z.ZodType<T>, what: string): (json: unknown) => T {
  return (json) => {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MalformedAnswer(`${what}: ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    return parsed.data;
  };
}

export const SERVER_NAMES = { vllm: 'vLLM', sglang: 'SGLang' } as const;

/** GET /v1/models (both servers are OpenAI-compatible there). */
export function listModels(t: Transport, server: string): Promise<ModelList> {
  return t.request('GET', '/v1/models', undefined, readWith(modelList, `${server}'s model list`));
}

/** The model to ask for: MOE_MODEL, else the first the server lists; remembered per client. */
export class ModelChoice {
  private chosen?: Promise<{ id: string; list: ModelList }>;
  constructor(
    private readonly settings: KindSettings,
    private readonly server: string,
  ) {}

  get(t: Transport): Promise<{ id: string; list: ModelList }> {
    if (!this.chosen) {
      this.chosen = listModels(t, this.server).then((list) => {
        const id = this.settings.model ?? list.data[0]?.id;
        if (!id) throw new MoeEndpointError('not_found', `The ${this.server} server at ${t.origin} lists no model.`);
        return { id, list };
      });
      this.chosen.catch(() => (this.chosen = undefined));
    }
    return this.chosen;
  }
}

const ROUTED_EXPERTS = /routed[_ ]experts/i;

/** Error statuses of vLLM and SGLang in the bot's words (before the common mapping in the client). */
export function servingStatusError(server: string, startHint: string, status: number, detail: ErrorDetail, t: Transport, model?: string): MoeEndpointError | undefined {
  const said = detail.message ? `: ${detail.message}` : '';
  if (status === 503 || status === 429) {
    return new MoeEndpointError('busy', `The ${server} server is overloaded (HTTP ${status}); try again${detail.retryAfterS ? ` in about ${Math.ceil(detail.retryAfterS)} s` : ' shortly'}.`, detail.retryAfterS);
  }
  if (status === 404) {
    return new MoeEndpointError('not_found', `The ${server} server at ${t.origin} does not serve ${model ? `the model ${model}` : 'this route'}${said}. Check MOE_MODEL and MOE_ENDPOINT_KIND.`);
  }
  if (status === 400 && detail.message && ROUTED_EXPERTS.test(detail.message)) {
    return new MoeEndpointError('not_enabled', `The ${server} server at ${t.origin} does not return routed experts${said}. ${startHint}`);
  }
  return undefined;
}

export function notEnabled(server: string, t: Transport, startHint: string): MoeEndpointError {
  return new MoeEndpointError('not_enabled', `The ${server} server at ${t.origin} sent no routed experts. ${startHint}`);
}

export function servingHealth(model: string): HealthResponse {
  return { status: 'ok', protocol_version: 1, model, ready: true, queue: { depth: 0, capacity: 1 } };
}

/** The probe /moe model routes to learn the layers, top-k and experts the server does not report. */
export const PROBE_PROMPT = 'Which expert does each token of this sentence go to?';

export function describeFromProbe(
  kind: ServedModel['kind'],
  chosen: { id: string; list: ModelList },
  probe: RouteResponse,
  inferred: ServedModel['inferred'],
): ServedModel {
  const entry = chosen.list.data.find((m) => m.id === chosen.id);
  return {
    kind,
    model: chosen.id,
    served: chosen.list.data.map((m) => m.id),
    layers: probe.moe_layers.length + probe.dense_layers.length,
    moe_layers: probe.moe_layers,
    dense_layers: probe.dense_layers,
    top_k: probe.top_k,
    experts: probe.experts,
    inferred,
    ...(entry?.max_model_len ? { max_model_len: entry.max_model_len } : {}),
    probe_tokens: probe.tokens.length,
  };
}
