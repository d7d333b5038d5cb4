import { capture, generate, modelList, sendJson, serve, servedOf, tokenize, type FakeServer, type ServingOptions } from './vllm-and-sglang.js';

/**
 * A stand-in for `vllm serve <model> [--enable-return-routed-experts] [--api-key ...]`, answering
 * as vLLM's OpenAI-compatible server does:
 * - GET /v1/models: the served model ids with max_model_len;
 * - POST /v1/completions: `echo` puts the prompt's tokens before the generated ones in
 *   `logprobs.tokens`, `return_token_ids` adds `prompt_token_ids` and `token_ids`, and each choice
 *   carries `routed_experts`: base64 of a NumPy .npy file (np.save) of shape
 *   [prompt + generated - 1, layers, top_k], the smallest of uint8/uint16/int32 that holds the
 *   ids, or null when the server runs without the flag (vllm/entrypoints/openai/completion/protocol.py);
 *   with `format: 'v0.21'` the prompt's rows come apart as `prompt_routed_experts` and the
 *   choice's `routed_experts` covers the generated tokens, both as nested lists;
 * - errors as vLLM words them: 404 for an unknown model (NotFoundError), 400 for a bad request,
 *   401 `{"error": "Unauthorized"}` for a wrong API key.
 */

export interface FakeVllmOptions extends ServingOptions {
  format?: 'npy' | 'v0.21';
  /** Force the .npy dtype (default: the smallest that holds the ids, as vLLM does). */
  dtype?: 'u1' | 'u2' | 'i4';
}

/** A .npy file as numpy.save writes it (format 1.0): magic, header dict padded to 64 bytes, C-order data. */
export function npyBytes(rows: number[][][], dtype: 'u1' | 'u2' | 'i4'): Buffer {
  const shape = [rows.length, rows[0]?.length ?? 0, rows[0]?.[0]?.length ?? 0];
  const descr = dtype === 'u1' ? '|u1' : `<${dtype}`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const size = dtype === 'u1' ? 1 : dtype === 'u2' ? 2 : 4;
  const flat = rows.flat(2);
  const data = Buffer.alloc(flat.length * size);
  flat.forEach((v, i) => (size === 1 ? data.writeUInt8(v, i) : size === 2 ? data.writeUInt16LE(v, i * 2) : data.writeInt32LE(v, i * 4)));
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble.writeUInt8(1, 6);
  preamble.writeUInt8(0, 7);
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([preamble, Buffer.from(header, 'latin1'), data]);
}

const vllmError = (status: number, type: string, message: string, param: string | null = null) => ({ error: { message, type, param, code: status } });

export async function startFakeVllm(options: FakeVllmOptions = {}): Promise<FakeServer> {
  const { models, layout, maxModelLen, routedExperts } = servedOf(options, 'Qwen/Qwen3-30B-A3B');

  return serve(options.token, (req, path, body, res) => {
    if (path === '/v1/models' && req.method === 'GET') return sendJson(res, 200, modelList(models, 'vllm', maxModelLen));
    if (path === '/v1/completions' && req.method === 'POST') {
      const b = (body ?? {}) as Record<string, unknown>;
      if (b.model !== undefined && !models.includes(String(b.model))) {
        return sendJson(res, 404, vllmError(404, 'NotFoundError', `The model \`${String(b.model)}\` does not exist.`, 'model'));
      }
      if (typeof b.prompt !== 'string' || b.prompt === '') return sendJson(res, 400, vllmError(400, 'BadRequestError', 'Either prompt or prompt_embeds must be provided and non-empty.', 'prompt'));
      const maxTokens = typeof b.max_tokens === 'number' ? b.max_tokens : 16;
      const prompt = tokenize(b.prompt);
      if (prompt.length + maxTokens > maxModelLen) {
        return sendJson(res, 400, vllmError(400, 'BadRequestError', `This model's maximum context length is ${maxModelLen} tokens.`, 'prompt'));
      }
      const gen = generate(maxTokens);
      const echo = b.echo === true;
      const all = [...prompt, ...gen];
      let routed: unknown = null;
      let promptRouted: unknown;
      if (routedExperts) {
        if (options.format === 'v0.21') {
          promptRouted = capture(prompt, layout);
          routed = capture(gen, layout);
        } else {
          const rows = capture(all.slice(0, -1), layout);
          const max = Math.max(0, ...rows.flat(2));
          const dtype = options.dtype ?? (max < 256 ? 'u1' : max < 65536 ? 'u2' : 'i4');
          routed = npyBytes(rows, dtype).toString('base64');
        }
      }
      const shown = echo ? all : gen;
      const logprobs =
        typeof b.logprobs === 'number'
          ? {
              text_offset: shown.map((_, i) => shown.slice(0, i).reduce((n, t) => n + t.text.length, 0)),
              token_logprobs: shown.map((_, i) => (echo && i === 0 ? null : -0.5)),
              tokens: shown.map((t) => t.text),
              top_logprobs: shown.map((t, i) => (echo && i === 0 ? null : { [t.text]: -0.5 })),
            }
          : null;
      const choice: Record<string, unknown> = {
        index: 0,
        text: shown.map((t) => t.text).join(''),
        logprobs,
        finish_reason: 'length',
        stop_reason: null,
        token_ids: b.return_token_ids ? gen.map((t) => t.id) : null,
        prompt_logprobs: null,
        prompt_token_ids: b.return_token_ids ? prompt.map((t) => t.id) : null,
        routed_experts: routed,
      };
      return sendJson(res, 200, {
        id: 'cmpl-fake',
        object: 'text_completion',
        created: 1_780_000_000,
        model: b.model ?? models[0],
        choices: [choice],
        ...(promptRouted !== undefined ? { prompt_routed_experts: promptRouted } : {}),
        usage: { prompt_tokens: prompt.length, total_tokens: all.length, completion_tokens: gen.length, prompt_tokens_details: null },
      });
    }
    return sendJson(res, 404, { detail: 'Not Found' });
  });
}
