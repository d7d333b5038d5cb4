import { capture, generate, modelList, sendJson, serve, servedOf, tokenize, type FakeServer, type ServingOptions } from './vllm-and-sglang.js';

/**
 * A stand-in for `python -m sglang.launch_server --model-path <model>
 * [--enable-return-routed-experts] [--api-key ...]`, answering as SGLang does:
 * - GET /v1/models: the loaded model;
 * - POST /generate: `meta_info` with prompt_tokens and completion_tokens; with `return_logprob`,
 *   `logprob_start_len: 0` and `return_text_in_logprobs`, `input_token_logprobs` and
 *   `output_token_logprobs` as [logprob, id, text] (the first prompt token's logprob null); with
 *   `return_routed_experts` on a server started with the flag, `routed_experts`: base64 of the
 *   raw little-endian int32 ids, flat, for prompt + generated - 1 tokens × every decoder layer ×
 *   top_k (python/sglang/srt/state_capturer/routed_experts.py); without the flag no such key;
 * - errors: 401 `{"error": "Unauthorized"}` for a wrong API key, 400 `{"error": {"message"}}`.
 */

export async function startFakeSglang(options: ServingOptions = {}): Promise<FakeServer> {
  const { models, layout, maxModelLen, routedExperts } = servedOf(options, 'deepseek-ai/DeepSeek-V2-Lite');

  return serve(options.token, (req, path, body, res) => {
    if (path === '/v1/models' && req.method === 'GET') return sendJson(res, 200, modelList(models.slice(0, 1), 'sglang', maxModelLen));
    if (path === '/generate' && req.method === 'POST') {
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.text !== 'string') return sendJson(res, 400, { error: { message: 'Either text, input_ids or input_embeds should be provided.' } });
      const sampling = (b.sampling_params ?? {}) as Record<string, unknown>;
      const maxNew = typeof sampling.max_new_tokens === 'number' ? sampling.max_new_tokens : 128;
      const prompt = tokenize(b.text);
      if (prompt.length + maxNew > maxModelLen) {
        return sendJson(res, 400, { error: { message: `The input (${prompt.length} tokens) is longer than the model's context length (${maxModelLen} tokens).` } });
      }
      const gen = generate(maxNew);
      const meta: Record<string, unknown> = {
        id: 'fake-req',
        finish_reason: { type: 'length', length: maxNew },
        prompt_tokens: prompt.length,
        weight_version: 'default',
        completion_tokens: gen.length,
        cached_tokens: 0,
        e2e_latency: 0.01,
      };
      if (b.return_logprob) {
        const start = typeof b.logprob_start_len === 'number' ? b.logprob_start_len : -1;
        const withText = b.return_text_in_logprobs === true;
        const entry = (t: { id: number; text: string }, first: boolean) => [first ? null : -0.5, t.id, withText ? t.text : null];
        meta.input_token_logprobs = start < 0 ? [] : prompt.slice(start).map((t, i) => entry(t, i + start === 0));
        meta.output_token_logprobs = gen.map((t) => entry(t, false));
      }
      if (b.return_routed_experts === true && routedExperts) {
        const flat = capture([...prompt, ...gen].slice(0, -1), layout).flat(2);
        const bytes = Buffer.alloc(flat.length * 4);
        flat.forEach((v, i) => bytes.writeInt32LE(v, i * 4));
        meta.routed_experts = bytes.toString('base64');
      }
      return sendJson(res, 200, { text: gen.map((t) => t.text).join(''), output_ids: gen.map((t) => t.id), meta_info: meta });
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  });
}
