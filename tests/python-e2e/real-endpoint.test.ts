import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/core/content/load.js';
import type { CompareResponse, ModelResponse, RouteResponse } from '../../src/core/moe/protocol.js';
import { ChatDriver, printedButtons } from '../helpers/chat-driver.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { expectCompareChartOf, expectHeatmapOf } from '../helpers/moe-images.js';
import { schemaError } from '../helpers/moe-protocol.js';
import { tempDir } from '../helpers/tmp.js';
import { endpointPython, startEndpoint, type RealEndpoint } from './endpoint-process.js';

/**
 * The bot against the real Python endpoint (deploy/moe-endpoint), not the fake: a randomly
 * initialised tiny OLMoE on the CPU, started on a free port with a bearer token. The bot's
 * command line routes and compares prompts, and the terminal chat runs every lesson's "Try it
 * live" demo; each answer, summary and image is checked against what the endpoint itself says.
 * Run by `bash scripts/python-endpoint-tests.sh` (part of `npm test`), which sets MOE_ENDPOINT_PYTHON.
 */

const START_TIMEOUT_MS = Number(process.env.MOE_E2E_START_TIMEOUT_S ?? 120) * 1000;
const ROUTE_PROMPT = 'Which expert fired, and why is it hard to inspect?';
const COMPARE_A = 'Which expert fired, and why is it hard to inspect?';
const COMPARE_B = 'Why is it hard to see which expert ran?';

let endpoint: RealEndpoint;
let model: ModelResponse;

beforeAll(async () => {
  endpoint = await startEndpoint({ python: endpointPython(), args: ['--random-init', 'tiny-olmoe', '--device', 'cpu'], timeoutMs: START_TIMEOUT_MS });
  model = await endpoint.call<ModelResponse>('/v1/model');
}, START_TIMEOUT_MS + 15_000);

afterAll(async () => {
  await endpoint?.stop();
});

/** The bot's settings for this endpoint; nothing from the developer's own MOE_* settings. */
function botEnv(dir: string): Record<string, string | undefined> {
  return {
    CONTENT_DIR: join(repoRoot, 'content'),
    DATABASE_PATH: join(dir, 'bot.sqlite'),
    MOE_ENDPOINT_URL: endpoint.url,
    MOE_ENDPOINT_KIND: 'quizbot',
    MOE_API_TOKEN: endpoint.token,
    MOE_TIMEOUT_MS: '30000',
    MOE_RATE_LIMIT_PER_MINUTE: '600',
    MOE_MODEL: undefined,
    MOE_NUM_EXPERTS: undefined,
    MOE_TOP_K: undefined,
  };
}

/** The heatmap at `path` is `route`'s, as the bot lays it out, and fits a screen or two. */
async function expectHeatmapAt(path: string, route: RouteResponse): Promise<void> {
  const { layout, img } = await expectHeatmapOf(readFileSync(path), route);
  expect(img.width).toBeGreaterThanOrEqual(640);
  expect(img.height).toBeLessThan(2000);
  expect(layout.rows).toBe(route.tokens.length);
  expect(layout.columns).toBe(route.routing.length);
}

/** The chart at `path` has the size laid out for `compare` and its bars at the measured heights. */
const expectCompareChartAt = (path: string, compare: CompareResponse) => expectCompareChartOf(readFileSync(path), compare);

describe('the bot against the real MoE endpoint (random-weight tiny OLMoE on the CPU)', () => {
  it('serves the model the tests expect', () => {
    expect(schemaError('ModelResponse', model)).toBeUndefined();
    expect(model).toMatchObject({ family: 'olmoe', random_weights: true, device: 'cpu' });
    expect(model.moe_layers.length).toBeGreaterThanOrEqual(2);
    expect(model.top_k).toBeLessThan(model.experts);
  });

  it('quizbot moe model describes what the endpoint runs', async () => {
    const dir = tempDir();
    const json = await runCli(['moe', 'model', '--json'], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(model);

    const text = await runCli(['moe', 'model'], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${model.model} (random weights): olmoe, ${model.layers} layers (${model.moe_layers.length} MoE)`);
    expect(text.stdout).toContain(`${model.experts} experts, top-${model.top_k}; ${model.routing.description}`);
    expect(text.stdout).toContain('cpu, float32');
  });

  it('quizbot moe route prints the summary of the real routing and writes its heatmap', async () => {
    const dir = tempDir();
    const direct = await endpoint.call<RouteResponse>('/v1/route', { prompt: ROUTE_PROMPT });
    expect(schemaError('RouteResponse', direct)).toBeUndefined();
    const moeLayers = direct.routing.length;
    expect(moeLayers).toBe(model.moe_layers.length);

    const out = join(dir, 'heatmap.png');
    const r = await runCli(['moe', 'route', ROUTE_PROMPT, '--out', out], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Expert routing, token by token');
    expect(r.stdout).toContain(`Model: ${model.model} (olmoe, ${model.experts} experts, top-${model.top_k}), random weights`);
    expect(r.stdout).toContain(`Tokens: ${direct.tokens.length} across ${moeLayers} MoE layers`);
    expect(r.stdout).toMatch(new RegExp(`Experts used per layer: \\d+(–\\d+)? of ${model.experts}`));
    expect(r.stdout).toMatch(/Latency: [\d.]+ ms at the endpoint \(forward [\d.]+ ms, queue [\d.]+ ms, eager on cpu\), [\d.]+ ms round trip/);
    expect(r.stdout).toContain(`Heatmap: ${out}`);
    await expectHeatmapAt(out, direct);

    // --json: the endpoint's own answer, schema-valid, the same routing as asked directly.
    const jsonOut = join(dir, 'heatmap-json.png');
    const j = await runCli(['moe', 'route', ROUTE_PROMPT, '--json', '--out', jsonOut, '--max-new-tokens', '2'], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(j.code, j.stderr).toBe(0);
    const printed = JSON.parse(j.stdout) as { summary: { tokens: number; generated: number; moeLayers: number }; image: string; response: RouteResponse };
    expect(schemaError('RouteResponse', printed.response)).toBeUndefined();
    expect(printed.summary).toMatchObject({ tokens: direct.tokens.length + 2, generated: 2, moeLayers });
    // The prompt's tokens route as they did without generation; the generated ones follow.
    expect(printed.response.tokens.slice(0, direct.tokens.length)).toEqual(direct.tokens);
    for (const [i, layer] of printed.response.routing.entries()) {
      expect(layer.experts.slice(0, direct.tokens.length)).toEqual(direct.routing[i]!.experts);
      for (const [t, choice] of layer.experts.entries()) {
        expect(choice, `layer ${layer.layer} token ${t}`).toHaveLength(model.top_k);
        const weights = layer.weights[t]!;
        expect([...weights].sort((a, b) => b - a)).toEqual(weights);
      }
    }
    expect(printed.image).toBe(jsonOut);
    await expectHeatmapAt(jsonOut, printed.response);
  });

  it('quizbot moe compare prints the per-layer overlap of two phrasings and writes its chart', async () => {
    const dir = tempDir();
    const direct = await endpoint.call<CompareResponse>('/v1/compare', { prompts: [COMPARE_A, COMPARE_B] });
    expect(schemaError('CompareResponse', direct)).toBeUndefined();

    const out = join(dir, 'compare.png');
    const r = await runCli(['moe', 'compare', COMPARE_A, COMPARE_B, '--out', out], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('routing-induced eval flakiness');
    expect(r.stdout).toContain(`Rephrasing the question moved about ${Math.round((1 - direct.mean_load_overlap) * 100)}% of the expert load`);
    for (const layer of direct.layers) {
      expect(r.stdout).toContain(`layer ${String(layer.layer).padStart(3)}  jaccard ${layer.jaccard.toFixed(2)}  load overlap ${layer.load_overlap.toFixed(2)}`);
    }
    expect(r.stdout).toContain(`Chart: ${out}`);
    await expectCompareChartAt(out, direct);

    // The same prompt twice meets the same experts in every layer.
    const same = await runCli(['moe', 'compare', COMPARE_A, COMPARE_A, '--json'], { env: botEnv(dir), cwd: dir, timeoutMs: 60_000 });
    expect(same.code, same.stderr).toBe(0);
    const printed = JSON.parse(same.stdout) as { response: CompareResponse };
    expect(schemaError('CompareResponse', printed.response)).toBeUndefined();
    expect(printed.response.layers.map((l) => [l.jaccard, l.load_overlap])).toEqual(direct.layers.map(() => [1, 1]));
  });

  it('runs every lesson\'s "Try it live" demo on the endpoint from the terminal chat', async () => {
    const { lessons } = loadContent(join(repoRoot, 'content'), { banks: false });
    const demos = lessons.flatMap((lesson) => lesson.sections.flatMap((section, index) => (section.demo ? [{ lesson, section, index, demo: section.demo }] : [])));
    expect(demos.length).toBeGreaterThanOrEqual(8);
    expect(demos.some((d) => d.demo.kind === 'route')).toBe(true);
    expect(demos.some((d) => d.demo.kind === 'compare')).toBe(true);

    const dir = tempDir();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(botEnv(dir))) env[k] = v ?? '';
    const chat = new ChatDriver(env, { cwd: dir });
    try {
      for (const { lesson, section, index, demo } of demos) {
        const where = `${lesson.id} section ${index + 1} (${section.title})`;
        const shown = await chat.send(`/lesson ${lesson.id} section:${index + 1}`, 150);
        expect(shown, where).toContain(section.title);
        const button = printedButtons(shown).get('▶ Try it live');
        expect(button, `${where}: no Try it live button in\n${shown}`).toBeDefined();
        const reply = await chat.send(String(button), 300, 60_000);
        expect(reply, `${where}\n${chat.stderr}`).toContain(`Try it live: ${section.title}`);
        expect(reply, where).not.toMatch(/Something went wrong|not set up on this bot|The GPU is busy|The MoE endpoint/);
        expect(reply, where).toContain(`◀ Back to the lesson: ${section.title}`.slice(0, 75));
        const image = /\[image: [^\]]*? → (\S+\.png)\]/.exec(reply)?.[1];
        expect(image, `${where}: no image in\n${reply}`).toBeDefined();
        if (demo.kind === 'route') {
          const direct = await endpoint.call<RouteResponse>('/v1/route', { prompt: demo.prompt });
          expect(reply, where).toContain(`Prompt: “${demo.prompt}”`);
          expect(reply, where).toContain(`Tokens: ${direct.tokens.length} across ${direct.routing.length} MoE layers`);
          expect(reply, where).toContain(`${model.model} (olmoe, ${model.experts} experts, top-${model.top_k}), random weights`);
          await expectHeatmapAt(image!, direct);
        } else {
          const direct = await endpoint.call<CompareResponse>('/v1/compare', { prompts: [demo.a, demo.b] });
          expect(reply, where).toContain(`Prompts: “${demo.a}” and “${demo.b}”`);
          expect(reply, where).toContain(`Rephrasing the question moved about ${Math.round((1 - direct.mean_load_overlap) * 100)}% of the expert load`);
          expect(reply, where).toContain(`Tokens: ${direct.prompts[0]!.tokens.length} and ${direct.prompts[1]!.tokens.length}`);
          await expectCompareChartAt(image!, direct);
        }
      }
    } finally {
      expect(await chat.end()).toBe(0);
    }
  }, 240_000);

  it('logs no prompt text and no failed request', () => {
    const log = endpoint.stderr();
    expect(log).toContain('ready: random:tiny-olmoe');
    expect(log).toMatch(/"POST \/v1\/route HTTP\/1\.1" 200/);
    expect(log).not.toMatch(/"POST [^"]*" 5\d\d/);
    expect(log).not.toContain('request failed');
    expect(log).not.toContain(ROUTE_PROMPT);
    expect(log).not.toContain('Tokens over an expert');
  });
});

describe('a real endpoint that does not start', () => {
  const failure = (args: string[], timeoutMs: number) =>
    startEndpoint({ python: endpointPython(), args, timeoutMs }).then(
      async (started) => void (await started.stop()),
      (e: Error) => e,
    );

  it('is reported with its exit code and its stderr when it exits', async () => {
    const err = await failure(['--random-init', 'tiny-olmoe', '--device', 'cpu', '--queue-size', '0'], START_TIMEOUT_MS);
    expect(err?.message).toMatch(/^The MoE endpoint \(.* -m moe_endpoint --random-init tiny-olmoe --device cpu --queue-size 0\) exited with 2 before it was ready\.\n--- its stderr ---\n/);
    expect(err?.message).toContain('MOE_QUEUE_SIZE must be between 1 and 1000 (got 0)');
  });

  it('is reported with its stderr when it is not ready in time', async () => {
    const err = await failure(['--random-init', 'tiny-olmoe', '--device', 'cpu'], 500);
    expect(err?.message).toMatch(/^The MoE endpoint \(.*\) was not ready within 0\.5 s \((last \/v1\/health: .*|it never logged "listening on")\)\.\n--- its stderr ---\n/);
  });
});
