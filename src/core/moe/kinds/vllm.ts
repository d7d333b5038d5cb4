import { z } from 'zod';
import type { CompareRequest, CompareResponse, RouteRequest, RouteResponse } from '../protocol.js';
import { MalformedAnswer } from './errors.js';
import { buildRoute, compareRoutes, concatTensors, tensorFromVllmField, type ExpertTensor, type RouteToken } from './routing.js';
import { describeFromProbe, ModelChoice, notEnabled, PROBE_PROMPT, readWith, servingHealth, servingStatusError } from './shared.js';
import { openAiErrorDetail, type EndpointAdapter, type ErrorDetail, type KindSettings, type ServedModel, type Transport } from './types.js';

/**
 * vLLM's OpenAI-compatible server started with `--enable-return-routed-experts`.
 *
 * The bot asks POST /v1/completions with `echo: true`, `logprobs: 0` and `return_token_ids: true`,
 * so one answer carries the prompt's and the generated tokens' ids (`prompt_token_ids`,
 * `token_ids`) and texts (`logprobs.tokens`) beside the routing. vLLM puts the routing on each
 * choice as `routed_experts` (vllm/entrypoints/openai/completion/protocol.py,
 * CompletionResponseChoice): base64 of a NumPy .npy array of shape [tokens - 1, layers, top_k]
 * covering prompt and generated tokens (the last sampled token is never forwarded), dtype uint8,
 * uint16 or int32, null when the server was started without the flag. The layers are every
 * decoder layer (vllm/model_executor/layers/fused_moe/routed_experts_capturer.py sizes its buffer
 * by num_hidden_layers); a dense layer's slots stay 0. vLLM 0.21 sent the prompt's routing apart,
 * as `prompt_routed_experts` on the response, and the generated tokens' on the choice; both forms
 * are read, as base64 .npy or as nested lists. vLLM sends no gate weights.
 */

const START_HINT = 'Start it with `vllm serve <model> --enable-return-routed-experts`.';

const routed = z.union([z.string(), z.array(z.unknown())]).nullish();

const completion = z.object({
  model: z.string().optional(),
  prompt_routed_experts: routed,
  choices: z
    .array(
      z
        .object({
          text: z.string().nullish(),
          logprobs: z.object({ tokens: z.array(z.string()).nullish() }).loose().nullish(),
          prompt_token_ids: z.array(z.number().int().min(0)).nullish(),
          token_ids: z.array(z.number().int().min(0)).nullish(),
          routed_experts: routed,
        })
        .loose(),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0).nullish() }).loose().nullish(),
});

type Completion = z.infer<typeof completion>;

/** Token ids and texts of prompt and generation, as far as the answer gives them. */
function tokensOf(c: Completion): RouteToken[] {
  const choice = c.choices[0]!;
  const texts = choice.logprobs?.tokens ?? [];
  const promptIds = choice.prompt_token_ids ?? [];
  const genIds = choice.token_ids ?? [];
  const promptCount = choice.prompt_token_ids ? promptIds.length : (c.usage?.prompt_tokens ?? 0);
  const genCount = choice.token_ids ? genIds.length : (c.usage?.completion_tokens ?? Math.max(0, texts.length - promptCount));
  const tokens: RouteToken[] = [];
  for (let i = 0; i < promptCount + genCount; i++) {
    const generated = i >= promptCount;
    const id = generated ? genIds[i - promptCount] : promptIds[i];
    tokens.push({ id: id ?? 0, text: texts[i] ?? (id !== undefined ? `#${id}` : '?'), generated });
  }
  return tokens;
}

function tensorOf(c: Completion): ExpertTensor | undefined {
  const choice = c.choices[0]!;
  if (choice.routed_experts == null) return undefined;
  const generated = tensorFromVllmField(choice.routed_experts);
  if (c.prompt_routed_experts == null) return generated;
  return concatTensors(tensorFromVllmField(c.prompt_routed_experts), generated);
}

export function vllmAdapter(settings: KindSettings): EndpointAdapter {
  const choice = new ModelChoice(settings, 'vLLM');
  let lastModel: string | undefined;

  async function route(t: Transport, request: RouteRequest): Promise<RouteResponse> {
    const { id } = await choice.get(t);
    lastModel = id;
    const maxGenerated = request.max_new_tokens ?? 0;
    const started = t.now();
    const body = {
      model: id,
      prompt: request.prompt,
      // One token more than shown: the last sampled token is never forwarded, so it has no routing.
      max_tokens: maxGenerated + 1,
      temperature: 0,
      echo: true,
      logprobs: 0,
      return_token_ids: true,
    };
    const answer = await t.request('POST', '/v1/completions', body, (json) => {
      const c = readWith(completion, 'vLLM\u2019s completion')(json);
      const tensor = tensorOf(c);
      if (!tensor) throw notEnabled('vLLM', t, START_HINT);
      return { c, tensor };
    });
    const tokens = tokensOf(answer.c);
    if (tokens.length === 0) throw new MalformedAnswer('vLLM\u2019s completion has no tokens');
    return buildRoute({
      model: id,
      tokens,
      tensor: answer.tensor,
      numExperts: settings.numExperts,
      maxGenerated,
      device: `vLLM at ${t.origin}`,
      totalMs: t.now() - started,
    }).route;
  }

  return {
    kind: 'vllm',
    async health(t) {
      return servingHealth((await choice.get(t)).id);
    },
    async model(t): Promise<ServedModel> {
      const chosen = await choice.get(t);
      const probe = await route(t, { prompt: PROBE_PROMPT });
      return describeFromProbe('vllm', chosen, probe, ['dense_layers', ...(settings.numExperts === undefined ? (['experts'] as const) : [])]);
    },
    route,
    async compare(t, request: CompareRequest): Promise<CompareResponse> {
      return compareRoutes(await route(t, { prompt: request.prompts[0]! }), await route(t, { prompt: request.prompts[1]! }));
    },
    errorDetail(text: string): ErrorDetail {
      return openAiErrorDetail(text);
    },
    statusError(status, detail, t) {
      return servingStatusError('vLLM', START_HINT, status, detail, t, lastModel ?? settings.model);
    },
  };
}
