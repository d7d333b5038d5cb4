import { z } from 'zod';
import type { CompareRequest, CompareResponse, RouteRequest, RouteResponse } from '../protocol.js';
import { MalformedAnswer, MoeEndpointError } from './errors.js';
import { buildRoute, compareRoutes, inferTopK, int32sFromBase64, type RouteToken } from './routing.js';
import { describeFromProbe, ModelChoice, notEnabled, PROBE_PROMPT, readWith, servingHealth, servingStatusError } from './shared.js';
import { openAiErrorDetail, type EndpointAdapter, type ErrorDetail, type KindSettings, type ServedModel, type Transport } from './types.js';

/**
 * SGLang's server started with `--enable-return-routed-experts`.
 *
 * The bot asks SGLang's native POST /generate with `return_routed_experts: true` and, for the token
 * texts, `return_logprob: true`, `logprob_start_len: 0` and `return_text_in_logprobs: true`: then
 * `meta_info.input_token_logprobs` and `output_token_logprobs` list every prompt and generated
 * token as [logprob, id, text]. `meta_info.routed_experts` is base64 of the raw little-endian
 * int32 ids, flat, for prompt_tokens + completion_tokens - 1 tokens (the last sampled one is never
 * forwarded) × every decoder layer × top-k (python/sglang/srt/state_capturer/routed_experts.py
 * and extract_routed_experts_from_meta_info; test/registered/rl/test_return_routed_experts.py).
 * The answer does not say the layer count or top-k: MOE_TOP_K gives top-k, else it is inferred
 * (the largest split under which every token's experts in a layer are distinct). It is absent when
 * the server runs without the flag. SGLang sends no gate weights. /generate serves the one loaded
 * model, so MOE_MODEL is checked against GET /v1/models.
 */

const START_HINT = 'Start it with `python -m sglang.launch_server --model-path <model> --enable-return-routed-experts`.';

const logprobEntry = z.tuple([z.number().nullable(), z.number().int().min(0), z.string().nullish()]).rest(z.unknown());

const generated = z.object({
  text: z.string().nullish(),
  meta_info: z
    .object({
      prompt_tokens: z.number().int().min(0),
      completion_tokens: z.number().int().min(0),
      input_token_logprobs: z.array(logprobEntry).nullish(),
      output_token_logprobs: z.array(logprobEntry).nullish(),
      routed_experts: z.string().nullish(),
    })
    .loose(),
});

type Generated = z.infer<typeof generated>;

function tokensOf(g: Generated): RouteToken[] {
  const m = g.meta_info;
  const texts = (entries: Generated['meta_info']['input_token_logprobs'], count: number, isGenerated: boolean): RouteToken[] =>
    Array.from({ length: count }, (_, i) => {
      const e = entries?.[i];
      return { id: e?.[1] ?? 0, text: e?.[2] ?? (e ? `#${e[1]}` : '?'), generated: isGenerated };
    });
  return [...texts(m.input_token_logprobs, m.prompt_tokens, false), ...texts(m.output_token_logprobs, m.completion_tokens, true)];
}

export function sglangAdapter(settings: KindSettings): EndpointAdapter {
  const choice = new ModelChoice(settings, 'SGLang');
  let topKInferred = settings.topK === undefined;

  async function route(t: Transport, request: RouteRequest): Promise<RouteResponse> {
    const { id, list } = await choice.get(t);
    if (!list.data.some((m) => m.id === id)) {
      throw new MoeEndpointError('not_found', `The SGLang server at ${t.origin} does not serve the model ${id} (it serves ${list.data.map((m) => m.id).join(', ')}). Check MOE_MODEL.`);
    }
    const maxGenerated = request.max_new_tokens ?? 0;
    const started = t.now();
    const body = {
      text: request.prompt,
      // One token more than shown: the last sampled token is never forwarded, so it has no routing.
      sampling_params: { temperature: 0, max_new_tokens: maxGenerated + 1 },
      return_routed_experts: true,
      return_logprob: true,
      logprob_start_len: 0,
      return_text_in_logprobs: true,
    };
    const answer = await t.request('POST', '/generate', body, (json) => {
      const g = readWith(generated, 'SGLang\u2019s /generate answer')(json);
      if (g.meta_info.routed_experts == null) throw notEnabled('SGLang', t, START_HINT);
      return g;
    });
    const flat = int32sFromBase64(answer.meta_info.routed_experts!);
    const tokens = tokensOf(answer);
    // Rows: every token but the last sampled one; an answer with a row for each token is read too.
    const rows = [tokens.length - 1, tokens.length].find((n) => n > 0 && flat.length % n === 0 && flat.length / n >= 1);
    if (rows === undefined) throw new MalformedAnswer(`${flat.length} routed expert ids do not divide into ${tokens.length - 1} tokens`);
    const width = flat.length / rows;
    let topK = settings.topK;
    if (topK === undefined) {
      topK = inferTopK(flat, rows, width);
      if (topK === undefined) throw new MalformedAnswer('the routed experts repeat an expert within a token and layer under every top-k; set MOE_TOP_K');
    } else if (width % topK !== 0) {
      throw new MalformedAnswer(`${width} routed expert ids per token do not divide by MOE_TOP_K=${topK}`);
    }
    topKInferred = settings.topK === undefined;
    return buildRoute({
      model: id,
      tokens,
      tensor: { rows, layers: width / topK, topK, data: flat },
      numExperts: settings.numExperts,
      maxGenerated,
      device: `SGLang at ${t.origin}`,
      totalMs: t.now() - started,
    }).route;
  }

  return {
    kind: 'sglang',
    async health(t) {
      return servingHealth((await choice.get(t)).id);
    },
    async model(t): Promise<ServedModel> {
      const chosen = await choice.get(t);
      const probe = await route(t, { prompt: PROBE_PROMPT });
      const inferred: ServedModel['inferred'] = ['dense_layers'];
      if (topKInferred) inferred.unshift('layers', 'top_k');
      if (settings.numExperts === undefined) inferred.push('experts');
      return describeFromProbe('sglang', chosen, probe, inferred);
    },
    route,
    async compare(t, request: CompareRequest): Promise<CompareResponse> {
      return compareRoutes(await route(t, { prompt: request.prompts[0]! }), await route(t, { prompt: request.prompts[1]! }));
    },
    errorDetail(text: string): ErrorDetail {
      return openAiErrorDetail(text);
    },
    statusError(status, detail, t) {
      return servingStatusError('SGLang', START_HINT, status, detail, t, settings.model);
    },
  };
}
