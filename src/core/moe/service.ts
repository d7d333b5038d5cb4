import type { Config } from '../../config.js';
import { MoeClient, MoeEndpointError } from './client.js';
import type { DomainSet } from './domain-prompts.js';
import { analyseDomains, type DomainReport } from './domains.js';
import type { EndpointKind, MoeModelInfo } from './kinds/index.js';
import { LruCache } from './lru.js';
import type { CompareResponse, RouteResponse } from './protocol.js';
import { RateLimiter } from './rate-limit.js';
import { RoutingQuizzes } from './routing-quiz.js';

/**
 * What the /moe commands and the CLI call: the endpoint client behind a per-user rate limit and a
 * cache of recent answers (the same prompt routes the same way, so asking twice costs no GPU time
 * and no rate-limit slot). /moe domains' reports are kept longer, per endpoint, model and prompt
 * set; /moe quiz's open questions live here too.
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
  private readonly reports: LruCache<DomainReport>;
  /** The endpoint as the reports' keys name it: its kind and address. */
  private readonly endpoint: string;
  readonly quizzes: RoutingQuizzes;

  constructor(options: MoeServiceOptions) {
    this.now = options.now ?? Date.now;
    const { baseUrl, token, timeoutMs, fetch, kind, model, numExperts, topK } = options;
    this.client = new MoeClient({ baseUrl, token, timeoutMs, fetch, now: this.now, kind, model, numExperts, topK });
    this.limiter = new RateLimiter(options.ratePerMinute, 60_000, this.now);
    this.cache = new LruCache(options.cacheSize ?? 64, options.cacheTtlMs ?? 10 * 60_000, this.now);
    this.reports = new LruCache(16, 24 * 60 * 60_000, this.now);
    this.endpoint = `${this.client.kind} ${baseUrl.replace(/\/+$/, '')}`;
    this.quizzes = new RoutingQuizzes(this.now);
  }

  route(user: string, prompt: string, maxNewTokens = 0): Promise<Answer<RouteResponse>> {
    return this.cached(routeKey(prompt, maxNewTokens), user, () => this.client.route({ prompt, max_new_tokens: maxNewTokens }));
  }

  /**
   * Several prompts for one demo (/moe domains, /moe quiz): one rate-limit slot for them all, and
   * none when every one is cached; each prompt's routing is cached as /moe route caches it, and
   * the others are routed one after another, so one demo never floods the GPU's queue.
   */
  async routeAll(user: string, prompts: readonly string[]): Promise<Answer<RouteResponse[]>> {
    const started = this.now();
    const keys = prompts.map((p) => routeKey(p, 0));
    const allCached = keys.every((k) => this.cache.get(k));
    if (!allCached) this.takeSlot(user);
    const value: RouteResponse[] = [];
    for (const [i, prompt] of prompts.entries()) value.push((await this.cached(keys[i]!, undefined, () => this.client.route({ prompt, max_new_tokens: 0 }))).value);
    return { value, cached: allCached, roundTripMs: allCached ? 0 : this.now() - started };
  }

  /** The name of the model the endpoint serves (its health answer), cached for a minute. */
  modelName(): Promise<Answer<string>> {
    return this.cached('model-name', undefined, async () => (await this.client.health()).model, 60_000);
  }

  /**
   * /moe domains: every prompt of the set routed once, and the report kept for a day under the
   * endpoint, the model it serves and the set's hash, so asking again costs no GPU time (and a
   * changed model or prompt set is routed afresh).
   */
  async domains(user: string, set: DomainSet): Promise<Answer<DomainReport>> {
    const model = (await this.modelName()).value;
    const key = `${this.endpoint}\u0000${model}\u0000${set.hash}`;
    const hit = this.reports.get(key);
    if (hit) return { value: hit, cached: true, roundTripMs: 0 };
    const routed = await this.routeAll(user, set.domains.flatMap((d) => d.prompts));
    let next = 0;
    const routes = set.domains.map((d) => d.prompts.map(() => routed.value[next++]!));
    const report = analyseDomains(set, routes);
    this.reports.set(key, report);
    return { value: report, cached: false, roundTripMs: routed.roundTripMs };
  }

  compare(user: string, a: string, b: string): Promise<Answer<CompareResponse>> {
    return this.cached(`compare\u0000${a}\u0000${b}`, user, () => this.client.compare({ prompts: [a, b] }));
  }

  /** The model description; cached for a minute, and not rate-limited (it costs no GPU time). */
  async model(): Promise<Answer<MoeModelInfo>> {
    return this.cached('model', undefined, () => this.client.model(), 60_000);
  }

  private takeSlot(user: string): void {
    const slot = this.limiter.take(user);
    if (!slot.ok) {
      const wait = Math.ceil(slot.retryInMs / 1000);
      throw new MoeEndpointError('rate_limited', `The GPU is shared, so routing demos are limited per person. Try again in ${wait} s.`, wait);
    }
  }

  private async cached<T>(key: string, user: string | undefined, fetchValue: () => Promise<T>, maxAgeMs?: number): Promise<Answer<T>> {
    const started = this.now();
    const hit = this.cache.get(key);
    if (hit && (maxAgeMs === undefined || started - hit.at < maxAgeMs)) return { value: hit.value as T, cached: true, roundTripMs: 0 };
    if (user !== undefined) this.takeSlot(user);
    const value = await fetchValue();
    const at = this.now();
    this.cache.set(key, { value, at });
    return { value, cached: false, roundTripMs: at - started };
  }
}

const routeKey = (prompt: string, maxNewTokens: number) => `route\u0000${maxNewTokens}\u0000${prompt}`;

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
