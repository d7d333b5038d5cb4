import type { Config } from '../../config.js';
import { MoeClient, MoeEndpointError } from './client.js';
import type { EndpointKind, MoeModelInfo } from './kinds/index.js';
import { LruCache } from './lru.js';
import type { CompareResponse, RouteResponse } from './protocol.js';
import { RateLimiter } from './rate-limit.js';

/**
 * What the /moe commands and the CLI call: the endpoint client behind a per-user rate limit and a
 * cache of recent answers (the same prompt routes the same way, so asking twice costs no GPU time
 * and no rate-limit slot).
 */

export interface Answer<T> {
  value: T;
  cached: boolean;
  /** Milliseconds from asking to having the answer, as the bot saw it. */
  roundTripMs: number;
}

export interface MoeServiceOptions {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
  ratePerMinute: number;
  kind?: EndpointKind;
  model?: string;
  numExperts?: number;
  topK?: number;
  fetch?: typeof fetch;
  now?: () => number;
  cacheSize?: number;
  cacheTtlMs?: number;
}

export class MoeService {
  readonly client: MoeClient;
  private readonly limiter: RateLimiter;
  private readonly cache: LruCache<{ value: unknown; at: number }>;
  private readonly now: () => number;

  constructor(options: MoeServiceOptions) {
    this.now = options.now ?? Date.now;
    const { baseUrl, token, timeoutMs, fetch, kind, model, numExperts, topK } = options;
    this.client = new MoeClient({ baseUrl, token, timeoutMs, fetch, now: this.now, kind, model, numExperts, topK });
    this.limiter = new RateLimiter(options.ratePerMinute, 60_000, this.now);
    this.cache = new LruCache(options.cacheSize ?? 64, options.cacheTtlMs ?? 10 * 60_000, this.now);
  }

  route(user: string, prompt: string, maxNewTokens = 0): Promise<Answer<RouteResponse>> {
    return this.cached(`route\u0000${maxNewTokens}\u0000${prompt}`, user, () => this.client.route({ prompt, max_new_tokens: maxNewTokens }));
  }

  compare(user: string, a: string, b: string): Promise<Answer<CompareResponse>> {
    return this.cached(`compare\u0000${a}\u0000${b}`, user, () => this.client.compare({ prompts: [a, b] }));
  }

  /** The model description; cached for a minute, and not rate-limited (it costs no GPU time). */
  async model(): Promise<Answer<MoeModelInfo>> {
    return this.cached('model', undefined, () => this.client.model(), 60_000);
  }

  private async cached<T>(key: string, user: string | undefined, fetchValue: () => Promise<T>, maxAgeMs?: number): Promise<Answer<T>> {
    const started = this.now();
    const hit = this.cache.get(key);
    if (hit && (maxAgeMs === undefined || started - hit.at < maxAgeMs)) return { value: hit.value as T, cached: true, roundTripMs: 0 };
    if (user !== undefined) {
      const slot = this.limiter.take(user);
      if (!slot.ok) {
        const wait = Math.ceil(slot.retryInMs / 1000);
        throw new MoeEndpointError('rate_limited', `The GPU is shared, so routing demos are limited per person. Try again in ${wait} s.`, wait);
      }
    }
    const value = await fetchValue();
    const at = this.now();
    this.cache.set(key, { value, at });
    return { value, cached: false, roundTripMs: at - started };
  }
}

const services = new WeakMap<Config, MoeService>();

/** The service for a configuration, or undefined when MOE_ENDPOINT_URL is not set. */
export function moeServiceFor(config: Config): MoeService | undefined {
  if (!config.MOE_ENDPOINT_URL) return undefined;
  let service = services.get(config);
  if (!service) {
    service = new MoeService({
      baseUrl: config.MOE_ENDPOINT_URL,
      token: config.MOE_API_TOKEN,
      timeoutMs: config.MOE_TIMEOUT_MS,
      ratePerMinute: config.MOE_RATE_LIMIT_PER_MINUTE,
      kind: config.MOE_ENDPOINT_KIND,
      model: config.MOE_MODEL,
      numExperts: config.MOE_NUM_EXPERTS,
      topK: config.MOE_TOP_K,
    });
    services.set(config, service);
  }
  return service;
}
