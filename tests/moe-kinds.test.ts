import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { MoeClient, MoeEndpointError, type MoeErrorKind } from '../src/core/moe/client.js';
import { isServedModel, type EndpointKind } from '../src/core/moe/kinds/index.js';
import { inferTopK, tensorFromNpyBase64 } from '../src/core/moe/kinds/routing.js';
import { fakeChoice } from './fakes/moe-endpoint.js';
import { startFakeSglang } from './fakes/sglang.js';
import { generate, tokenize, type FakeServer, type ServingOptions } from './fakes/vllm-and-sglang.js';
import { npyBytes, startFakeVllm, type FakeVllmOptions } from './fakes/vllm.js';

const TOKEN = 'serving-token';
const open: FakeServer[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function vllm(options: FakeVllmOptions = {}) {
  const f = await startFakeVllm({ token: TOKEN, ...options });
  open.push(f);
  return f;
}

async function sglang(options: ServingOptions = {}) {
  const f = await startFakeSglang({ token: TOKEN, ...options });
  open.push(f);
  return f;
}

function client(kind: EndpointKind, f: FakeServer, extra: Partial<ConstructorParameters<typeof MoeClient>[0]> = {}) {
  return new MoeClient({ kind, baseUrl: f.url, token: TOKEN, timeoutMs: 2000, ...extra });
}

async function expectKind(promise: Promise<unknown>, kind: MoeErrorKind): Promise<MoeEndpointError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MoeEndpointError);
  expect((err as MoeEndpointError).kind, (err as MoeEndpointError).message).toBe(kind);
  return err as MoeEndpointError;
}

const PROMPT = 'Which expert fired?';

/** What the fake router chose for a token in a layer. */
const chosen = (text: string, layer: number, experts: number, topK: number) => fakeChoice(text, layer, experts, topK).experts;

describe.each(['vllm', 'sglang'] as const)('%s routed experts, translated into the bot\u2019s routing', (kind) => {
  const start = (o: ServingOptions = {}) => (kind === 'vllm' ? vllm(o) : sglang(o));

  it('routes prompt and generated tokens: texts, ids, every MoE layer, dense layers found from their zeros', async () => {
    const f = await start({ experts: 16, topK: 2, layers: 5, denseLayers: [0] });
    const r = await client(kind, f, { numExperts: 16 }).route({ prompt: PROMPT, max_new_tokens: 2 });
    const prompt = tokenize(PROMPT);
    const gen = generate(2);
    expect(r.tokens.map((t) => t.text)).toEqual([...prompt, ...gen].map((t) => t.text));
    expect(r.tokens.map((t) => t.id)).toEqual([...prompt, ...gen].map((t) => t.id));
    expect(r.tokens.map((t) => t.generated)).toEqual([false, false, false, false, false, true, true]);
    expect(r.dense_layers).toEqual([0]);
    expect(r.moe_layers).toEqual([1, 2, 3, 4]);
    expect(r.top_k).toBe(2);
    expect(r.experts).toBe(16);
    for (const layer of r.routing) {
      expect(layer.experts).toEqual(r.tokens.map((t) => chosen(t.text, layer.layer, 16, 2)));
      expect(layer.weights.every((w) => w.length === 0)).toBe(true);
      expect(layer.load.reduce((a, b) => a + b, 0)).toBe(r.tokens.length * 2);
    }
    expect(r.device).toBe(`${kind === 'vllm' ? 'vLLM' : 'SGLang'} at ${new URL(f.url).host}`);
    // One token more than shown was asked for: the last sampled token has no routing.
    const sent = f.requests.at(-1)!.body as Record<string, unknown>;
    if (kind === 'vllm') expect(sent).toMatchObject({ model: 'Qwen/Qwen3-30B-A3B', max_tokens: 3, echo: true, logprobs: 0, return_token_ids: true });
    else expect(sent).toMatchObject({ sampling_params: { max_new_tokens: 3 }, return_routed_experts: true, return_logprob: true, logprob_start_len: 0, return_text_in_logprobs: true });
    expect(f.requests.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('a prompt alone routes every prompt token; the expert count is the largest id + 1 unless MOE_NUM_EXPERTS says', async () => {
    const f = await start({ experts: 64, topK: 4, layers: 3, denseLayers: [] });
    const r = await client(kind, f).route({ prompt: 'Experts, experts everywhere.' });
    expect(r.tokens.every((t) => !t.generated)).toBe(true);
    expect(r.tokens.length).toBe(tokenize('Experts, experts everywhere.').length);
    const maxId = Math.max(...r.routing.flatMap((l) => l.experts.flat()));
    expect(r.experts).toBe(maxId + 1);
    expect(r.top_k).toBe(4);
    expect(r.dense_layers).toEqual([]);
  });

  it('compares two prompts layer by layer from expert ids alone', async () => {
    const f = await start({ experts: 8, topK: 2, layers: 4 });
    const c = await client(kind, f, { numExperts: 8 }).compare({ prompts: ['What is MoE?', 'What is MoE?'] });
    expect(c.layers.map((l) => l.layer)).toEqual([1, 2, 3]);
    expect(c.mean_jaccard).toBe(1);
    expect(c.mean_load_overlap).toBe(1);
    const d = await client(kind, f, { numExperts: 8 }).compare({ prompts: ['What is MoE?', 'Explain mixture of experts to a child'] });
    expect(d.mean_jaccard).toBeLessThan(1);
    expect(d.prompts[1]!.tokens).toEqual(tokenize('Explain mixture of experts to a child').map((t) => t.text));
    for (const l of d.layers) expect(l.shared).toBeLessThanOrEqual(Math.min(l.experts_a, l.experts_b));
  });

  it('/moe model: the model id from /v1/models, layers, top-k and experts from a probe, marked as inferred', async () => {
    const f = await start({ experts: 16, topK: 2, layers: 4, maxModelLen: 8192 });
    const m = await client(kind, f).model();
    expect(isServedModel(m)).toBe(true);
    if (!isServedModel(m)) return;
    expect(m.kind).toBe(kind);
    expect(m).toMatchObject({ layers: 4, moe_layers: [1, 2, 3], dense_layers: [0], top_k: 2, max_model_len: 8192 });
    expect(m.inferred).toContain('experts');
    expect(m.inferred).toContain('dense_layers');
    expect(m.inferred.includes('top_k')).toBe(kind === 'sglang');
    const given = await client(kind, f, { numExperts: 16, topK: 2 }).model();
    expect(isServedModel(given) && given.inferred).toEqual(['dense_layers']);
  });

  it('a server started without --enable-return-routed-experts is named, with the flag to add', async () => {
    const f = await start({ routedExperts: false });
    const c = client(kind, f);
    const err = await expectKind(c.route({ prompt: PROMPT }), 'not_enabled');
    expect(err.message).toContain('--enable-return-routed-experts');
    expect(c.breaker.check().allowed).toBe(true);
  });

  it('a wrong API key is 401 in the bot\u2019s words; overload (503, 429) is busy with the server\u2019s Retry-After', async () => {
    const f = await start();
    await expectKind(client(kind, f, { token: 'wrong' }).route({ prompt: PROMPT }), 'unauthorized');
    const c = client(kind, f);
    await c.model();
    await f.setFault({ kind: 'status', status: 503, body: { error: { message: 'Service Unavailable', type: 'ServiceUnavailableError', code: 503 } }, retryAfterS: 7 });
    const busy = await expectKind(c.route({ prompt: PROMPT }), 'busy');
    expect(busy.retryAfterS).toBe(7);
    expect(busy.message).toContain('in about 7 s');
    await f.setFault({ kind: 'status', status: 429, body: { object: 'error', message: 'Too many requests', type: 'RateLimitError', code: 429 } });
    await expectKind(c.route({ prompt: PROMPT }), 'busy');
  });

  it('an answer missing a field the translation needs is malformed, names the field and counts against the server', async () => {
    const f = await start();
    const c = client(kind, f, { breakerThreshold: 2 });
    await c.model();
    // A 200 from a proxy or another version of the server: vLLM's completion without choices,
    // SGLang's meta_info without prompt_tokens.
    const body =
      kind === 'vllm'
        ? { id: 'cmpl-x', object: 'text_completion', model: 'Qwen/Qwen3-30B-A3B', usage: { prompt_tokens: 5, completion_tokens: 1 } }
        : { text: ' Experts', meta_info: { id: 'x', completion_tokens: 1, routed_experts: '' } };
    await f.setFault({ kind: 'status', status: 200, body });
    const err = await expectKind(c.route({ prompt: PROMPT }), 'malformed');
    expect(err.message).toContain(kind === 'vllm' ? 'choices' : 'meta_info.prompt_tokens');
    expect(err.message).toContain('MOE_ENDPOINT_KIND');
    await expectKind(c.route({ prompt: 'again' }), 'malformed');
    await expectKind(c.route({ prompt: 'once more' }), 'circuit_open');
  });

  it('a server that is down or hangs trips the same breaker as the bot\u2019s own endpoint', async () => {
    const f = await start();
    const c = client(kind, f, { timeoutMs: 200, breakerThreshold: 2 });
    await f.setFault({ kind: 'hang' });
    await expectKind(c.route({ prompt: PROMPT }), 'timeout');
    await f.setFault({ kind: 'down' });
    await expectKind(c.route({ prompt: PROMPT }), 'unreachable');
    await expectKind(c.route({ prompt: PROMPT }), 'circuit_open');
  });
});

describe('vLLM specifics', () => {
  it('MOE_MODEL picks among served models, and an unknown one is vLLM\u2019s 404 in plain words', async () => {
    const f = await vllm({ models: ['org/base-moe', 'org/tuned-moe'] });
    const r = await client('vllm', f, { model: 'org/tuned-moe' }).route({ prompt: PROMPT });
    expect(r.model).toBe('org/tuned-moe');
    expect((f.requests.at(-1)!.body as { model: string }).model).toBe('org/tuned-moe');
    const err = await expectKind(client('vllm', f, { model: 'org/missing' }).route({ prompt: PROMPT }), 'not_found');
    expect(err.message).toContain('does not serve the model org/missing: The model `org/missing` does not exist.');
    expect(err.message).toContain('MOE_MODEL');
  });

  it('reads every .npy dtype vLLM writes (uint8, uint16, int32) alike', async () => {
    const routes = [];
    for (const dtype of ['u1', 'u2', 'i4'] as const) {
      const f = await vllm({ dtype, experts: 16, topK: 2, layers: 3 });
      routes.push(await client('vllm', f, { numExperts: 16 }).route({ prompt: PROMPT, max_new_tokens: 1 }));
    }
    expect(routes[1]!.routing).toEqual(routes[0]!.routing);
    expect(routes[2]!.routing).toEqual(routes[0]!.routing);
  });

  it('reads vLLM 0.21\u2019s form: prompt_routed_experts on the answer, generated rows on the choice, as lists', async () => {
    const now = await vllm({ experts: 16, topK: 2, layers: 4, denseLayers: [] });
    const old = await vllm({ experts: 16, topK: 2, layers: 4, denseLayers: [], format: 'v0.21' });
    const a = await client('vllm', now, { numExperts: 16 }).route({ prompt: PROMPT, max_new_tokens: 2 });
    const b = await client('vllm', old, { numExperts: 16 }).route({ prompt: PROMPT, max_new_tokens: 2 });
    expect(b.tokens).toEqual(a.tokens);
    expect(b.routing).toEqual(a.routing);
  });

  it('a routed_experts field that is not a NumPy array is malformed and counts against the server', () => {
    expect(() => tensorFromNpyBase64(Buffer.from('not numpy at all').toString('base64'))).toThrow(/not a NumPy array/);
    const floats = npyBytes([[[1, 2]]], 'i4');
    floats.write("'<f4'", floats.indexOf("'<i4'"), 'latin1');
    expect(() => tensorFromNpyBase64(floats.toString('base64'))).toThrow(/dtype f4/);
    const t = tensorFromNpyBase64(npyBytes([[[3, 1], [0, 0]], [[2, 5], [0, 0]]], 'u2').toString('base64'));
    expect({ rows: t.rows, layers: t.layers, topK: t.topK, data: Array.from(t.data) }).toEqual({ rows: 2, layers: 2, topK: 2, data: [3, 1, 0, 0, 2, 5, 0, 0] });
  });
});

describe('SGLang specifics', () => {
  it('MOE_MODEL that the server does not serve is named with what it serves', async () => {
    const f = await sglang({ models: ['deepseek-ai/DeepSeek-V2-Lite'] });
    const err = await expectKind(client('sglang', f, { model: 'org/other' }).route({ prompt: PROMPT }), 'not_found');
    expect(err.message).toContain('does not serve the model org/other (it serves deepseek-ai/DeepSeek-V2-Lite)');
    expect(f.hits('/generate')).toBe(0);
  });

  it('top-k is inferred from a flat list, or taken from MOE_TOP_K', async () => {
    for (const topK of [1, 2, 4, 8]) {
      const f = await sglang({ experts: 64, topK, layers: 6, denseLayers: [0] });
      const r = await client('sglang', f).route({ prompt: 'Sparse experts route each token to a few of them.' });
      expect(r.top_k, `top-${topK}`).toBe(topK);
      expect(r.moe_layers).toEqual([1, 2, 3, 4, 5]);
    }
    const f = await sglang({ experts: 64, topK: 4, layers: 6 });
    const r = await client('sglang', f, { topK: 2 }).route({ prompt: PROMPT });
    expect(r.top_k).toBe(2);
    expect(r.moe_layers.length + r.dense_layers.length).toBe(12);
  });

  it('inferTopK refuses a split that would repeat an expert within a token and layer, or put a dense layer\u2019s zero beside experts', () => {
    // One token, two layers of top-2: [1, 2] and [2, 3]; as top-4 the row would hold 2 twice.
    expect(inferTopK([1, 2, 2, 3], 1, 4)).toBe(2);
    expect(inferTopK([1, 2, 3, 4], 1, 4)).toBe(4);
    // Two tokens, top-1 over a dense layer and two MoE layers: [0, 5, 9] and [0, 3, 7] hold distinct
    // ids as top-3 rows, but their first slot is the dense layer's zero beside real experts.
    expect(inferTopK([0, 5, 9, 0, 3, 7], 2, 3)).toBe(1);
    // One token that chose expert 0 proves nothing.
    expect(inferTopK([0, 5], 1, 2)).toBe(2);
  });

  it('a body that is not SGLang\u2019s is malformed: MOE_ENDPOINT_KIND is named', async () => {
    const f = await vllm();
    const err = await expectKind(client('sglang', f).route({ prompt: PROMPT }), 'not_found');
    expect(err.message).toContain('MOE_ENDPOINT_KIND');
  });
});

describe('configuration', () => {
  it('reads MOE_ENDPOINT_KIND, MOE_MODEL, MOE_NUM_EXPERTS and MOE_TOP_K, and refuses nonsense', () => {
    const c = loadConfig({ MOE_ENDPOINT_KIND: 'vllm', MOE_MODEL: 'org/m', MOE_NUM_EXPERTS: '128', MOE_TOP_K: '8' }, '/nonexistent/.env');
    expect(c).toMatchObject({ MOE_ENDPOINT_KIND: 'vllm', MOE_MODEL: 'org/m', MOE_NUM_EXPERTS: 128, MOE_TOP_K: 8 });
    const d = loadConfig({}, '/nonexistent/.env');
    expect(d.MOE_ENDPOINT_KIND).toBe('quizbot');
    expect(d.MOE_NUM_EXPERTS).toBeUndefined();
    expect(loadConfig({ MOE_NUM_EXPERTS: '' }, '/nonexistent/.env').MOE_NUM_EXPERTS).toBeUndefined();
    expect(() => loadConfig({ MOE_ENDPOINT_KIND: 'tgi' }, '/nonexistent/.env')).toThrow(/MOE_ENDPOINT_KIND/);
    expect(() => loadConfig({ MOE_NUM_EXPERTS: 'eight' }, '/nonexistent/.env')).toThrow(/MOE_NUM_EXPERTS.*whole number/);
    expect(() => loadConfig({ MOE_TOP_K: '0' }, '/nonexistent/.env')).toThrow(/MOE_TOP_K/);
  });
});
