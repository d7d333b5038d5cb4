import { afterEach, describe, expect, it } from 'vitest';
import { MoeClient, MoeEndpointError, type MoeErrorKind } from '../src/core/moe/client.js';
import { MoeService } from '../src/core/moe/service.js';
import { startFakeMoeEndpoint, type FakeMoeEndpoint, type FakeMoeOptions } from './fakes/moe-endpoint.js';
import { schemaError } from './helpers/moe-protocol.js';

const TOKEN = 'fake-token';
const open: FakeMoeEndpoint[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function fake(options: FakeMoeOptions = {}): Promise<FakeMoeEndpoint> {
  const f = await startFakeMoeEndpoint({ token: TOKEN, ...options });
  open.push(f);
  return f;
}

function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function client(f: FakeMoeEndpoint, extra: Partial<ConstructorParameters<typeof MoeClient>[0]> = {}) {
  return new MoeClient({ baseUrl: f.url, token: TOKEN, timeoutMs: 2000, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<MoeEndpointError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MoeEndpointError);
  return err as MoeEndpointError;
}

async function expectKind(promise: Promise<unknown>, kind: MoeErrorKind): Promise<MoeEndpointError> {
  const err = await failure(promise);
  expect(err.kind, err.message).toBe(kind);
  return err;
}

describe('MoE endpoint client against a fake endpoint', () => {
  it('routes, compares and describes, in the protocol both ways', async () => {
    const f = await fake({ moeLayers: 3, denseLayers: [1] });
    const c = client(f);
    const route = await c.route({ prompt: 'Which expert fired?', max_new_tokens: 2 });
    expect(route.tokens.map((t) => t.text)).toEqual(['<s>', 'Which', ' expert', ' fired', '?', ' experts', ' route']);
    expect(route.moe_layers).toEqual([0, 2, 3]);
    expect(route.routing[0]!.experts).toHaveLength(7);
    expect(schemaError('RouteResponse', route)).toBeUndefined();
    const compare = await c.compare({ prompts: ['What is MoE?', 'Explain MoE'] });
    expect(compare.layers).toHaveLength(3);
    expect(schemaError('CompareResponse', compare)).toBeUndefined();
    expect((await c.model()).experts).toBe(8);
    expect((await c.health()).ready).toBe(true);
    const sent = f.requests.filter((r) => r.method === 'POST');
    expect(sent.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(schemaError('RouteRequest', sent[0]!.body)).toBeUndefined();
    expect(schemaError('CompareRequest', sent[1]!.body)).toBeUndefined();
  });

  it('says when the token is wrong, without tripping the breaker', async () => {
    const f = await fake();
    const c = client(f, { token: 'wrong' });
    for (let i = 0; i < 4; i++) {
      const err = await expectKind(c.route({ prompt: 'hi' }), 'unauthorized');
      expect(err.message).toContain('MOE_API_TOKEN');
    }
    expect(f.hits('/v1/route')).toBe(4);
    expect(c.breaker.isOpen).toBe(false);
  });

  it('gives up at the deadline when the endpoint hangs, and does not retry a timeout', async () => {
    const f = await fake();
    await f.setFault({ kind: 'hang' });
    const err = await expectKind(client(f, { timeoutMs: 150 }).route({ prompt: 'hi' }), 'timeout');
    expect(err.message).toMatch(/did not answer within 1 s/);
    expect(f.hits('/v1/route')).toBe(1);
  });

  it('waits for a slow endpoint within the deadline', async () => {
    const f = await fake();
    await f.setFault({ kind: 'slow', delayMs: 100 });
    const route = await client(f, { timeoutMs: 3000 }).route({ prompt: 'slow but fine' });
    expect(route.tokens).toHaveLength(4);
  });

  it.each([
    ['garbage', /not JSON/],
    ['invalid', /routing/],
    ['inconsistent', /inconsistent routing: layer 0 has \d+ rows/],
  ] as const)('refuses a malformed answer (%s)', async (kind, detail) => {
    const f = await fake();
    await f.setFault({ kind });
    const err = await expectKind(client(f).route({ prompt: 'hello there' }), 'malformed');
    expect(err.message).toMatch(detail);
    expect(err.message).toContain('MOE_ENDPOINT_URL');
  });

  it('passes on a 429 with its wait', async () => {
    const f = await fake();
    await f.setFault({ kind: 'status', status: 429, code: 'queue_full', message: 'the GPU is busy', retryAfterS: 3 });
    const err = await expectKind(client(f).route({ prompt: 'hi' }), 'busy');
    expect(err.retryAfterS).toBe(3);
    expect(err.message).toBe('The GPU is busy with other requests; try again in about 3 s.');
  });

  it('passes on refusals and a model that is still loading', async () => {
    const f = await fake({ maxPromptChars: 10 });
    const long = await expectKind(client(f).route({ prompt: 'far too long for this endpoint' }), 'rejected');
    expect(long.message).toContain('prompt has 30 characters; the limit is 10');
    await f.setFault({ kind: 'status', status: 503, code: 'loading', message: 'the model is still loading' });
    const loading = await expectKind(client(f).model(), 'loading');
    expect(loading.message).toContain('still loading');
  });

  it('retries once when the connection drops', async () => {
    const f = await fake();
    await f.setFault({ kind: 'reset', times: 1 });
    const route = await client(f).route({ prompt: 'try again' });
    expect(route.tokens).toHaveLength(3);
    expect(f.hits('/v1/route')).toBe(2);
  });

  it('names the endpoint when nothing listens there', async () => {
    const f = await fake();
    await f.setFault({ kind: 'down' });
    const err = await expectKind(client(f).route({ prompt: 'hi' }), 'unreachable');
    expect(err.message).toContain(new URL(f.url).host);
  });

  it('opens the circuit after three failures: then a dead endpoint costs no request at all', async () => {
    const f = await fake();
    const clock = manualClock();
    const c = client(f, { now: clock.now });
    await f.setFault({ kind: 'reset' });
    for (let i = 1; i <= 3; i++) {
      await expectKind(c.route({ prompt: 'hi' }), 'unreachable');
      expect(f.hits()).toBe(2 * i); // one retry each
    }
    for (let i = 0; i < 5; i++) {
      const err = await expectKind(c.route({ prompt: 'hi' }), 'circuit_open');
      expect(err.message).toMatch(/try it again in 30 s/);
    }
    expect(f.hits()).toBe(6);

    // After the cooldown one trial goes out; it succeeds and the circuit closes.
    await f.setFault({ kind: 'none' });
    clock.advance(30_000);
    await c.route({ prompt: 'back?' });
    expect(f.hits()).toBe(7);
    await c.route({ prompt: 'back!' });
    expect(f.hits()).toBe(8);
  });

  it('opens the circuit on timeouts and server errors too, and a failed trial reopens it', async () => {
    const f = await fake();
    const clock = manualClock();
    const c = client(f, { now: clock.now, timeoutMs: 100 });
    await f.setFault({ kind: 'hang' });
    await expectKind(c.route({ prompt: 'a' }), 'timeout');
    await f.setFault({ kind: 'status', status: 500, code: 'internal', message: 'internal error (ref 1234abcd)' });
    await expectKind(c.route({ prompt: 'b' }), 'server');
    await expectKind(c.route({ prompt: 'c' }), 'server');
    expect(f.hits()).toBe(3);
    await expectKind(c.model(), 'circuit_open');
    expect(f.hits()).toBe(3);
    clock.advance(30_001);
    await expectKind(c.model(), 'server'); // the trial
    await expectKind(c.model(), 'circuit_open');
    expect(f.hits()).toBe(4);
  });
});

describe('MoE service: cache and per-user rate limit', () => {
  it('answers a repeated prompt from the cache and limits each user separately', async () => {
    const f = await fake();
    const clock = manualClock();
    const service = new MoeService({ baseUrl: f.url, token: TOKEN, timeoutMs: 2000, ratePerMinute: 2, now: clock.now });
    const first = await service.route('ann', 'What is an expert?');
    expect(first.cached).toBe(false);
    const again = await service.route('bob', 'What is an expert?');
    expect(again.cached).toBe(true);
    expect(again.value).toEqual(first.value);
    expect(f.hits('/v1/route')).toBe(1);

    await service.compare('ann', 'a b', 'a c');
    const limited = await expectKind(service.route('ann', 'third distinct request'), 'rate_limited');
    expect(limited.message).toMatch(/Try again in 60 s/);
    expect(f.hits()).toBe(2);
    expect((await service.route('bob', 'bob has his own budget')).cached).toBe(false);
    expect((await service.route('ann', 'What is an expert?')).cached).toBe(true); // cached answers are free

    clock.advance(60_000);
    expect((await service.route('ann', 'third distinct request')).cached).toBe(false);
    expect(f.hits()).toBe(4);
  });
});
