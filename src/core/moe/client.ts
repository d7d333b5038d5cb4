import { telemetry } from '../telemetry.js';
import { CircuitBreaker } from './breaker.js';
import { MalformedAnswer, MoeEndpointError } from './kinds/errors.js';
import { adapterFor, type EndpointKind, type KindSettings, type MoeModelInfo } from './kinds/index.js';
import type { EndpointAdapter, Transport } from './kinds/types.js';
import type { CompareRequest, CompareResponse, HealthResponse, RouteRequest, RouteResponse } from './protocol.js';

/**
 * The HTTP client of the routing endpoint. Every call has one deadline (AbortController), retries
 * once when the connection itself failed (refused, reset), checks the answer, and goes through a
 * circuit breaker: after three failures in a row the endpoint is presumed down and calls fail at
 * once for 30 s instead of each user waiting for a timeout. What is asked and how answers read
 * depends on the endpoint kind (kinds/): the bot's own endpoint, vLLM or SGLang.
 */

export { MoeEndpointError, type MoeErrorKind } from './kinds/errors.js';

export interface MoeClientOptions extends KindSettings {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
  /** MOE_ENDPOINT_KIND; quizbot (deploy/moe-endpoint) unless set. */
  kind?: EndpointKind;
  fetch?: typeof fetch;
  now?: () => number;
  breakerThreshold?: number;
  breakerCooldownMs?: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof TypeError && /fetch failed|terminated/i.test(err.message) ? 'FETCH_FAILED' : undefined;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

export class MoeClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly adapter: EndpointAdapter;
  private readonly transport: Transport;
  readonly breaker: CircuitBreaker;
  readonly kind: EndpointKind;

  constructor(private readonly options: MoeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = telemetry.countedFetch(options.fetch ?? fetch); // quizbot_moe_endpoint_calls_total / _failures_total
    this.now = options.now ?? Date.now;
    this.breaker = new CircuitBreaker(options.breakerThreshold ?? 3, options.breakerCooldownMs ?? 30_000, this.now);
    this.kind = options.kind ?? 'quizbot';
    this.adapter = adapterFor(this.kind, { model: options.model, numExperts: options.numExperts, topK: options.topK });
    const client = this;
    this.transport = {
      request: (method, path, body, read, opts) => this.call(method, path, body, read, opts),
      get origin() {
        return client.origin();
      },
      now: () => this.now(),
    };
  }

  health(): Promise<HealthResponse> {
    return this.adapter.health(this.transport);
  }

  /** The model: the endpoint's description, or on vLLM and SGLang what a probe prompt shows. */
  model(): Promise<MoeModelInfo> {
    return this.adapter.model(this.transport);
  }

  route(request: RouteRequest): Promise<RouteResponse> {
    return this.adapter.route(this.transport, request);
  }

  compare(request: CompareRequest): Promise<CompareResponse> {
    return this.adapter.compare(this.transport, request);
  }

  private malformed(detail: string): MoeEndpointError {
    this.breaker.failure();
    const hint =
      this.kind === 'quizbot' ? 'Is MOE_ENDPOINT_URL pointing at deploy/moe-endpoint?' : `Is MOE_ENDPOINT_URL a ${this.kind === 'vllm' ? 'vLLM' : 'SGLang'} server, as MOE_ENDPOINT_KIND says?`;
    return new MoeEndpointError('malformed', `The MoE endpoint sent an answer this bot cannot read (${detail}). ${hint}`);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    read: (json: unknown) => T,
    options: { acceptStatus?: number[] } = {},
  ): Promise<T> {
    const gate = this.breaker.check();
    if (!gate.allowed) {
      throw new MoeEndpointError('circuit_open', `The MoE endpoint is not answering; the bot will try it again in ${seconds(gate.retryInMs)}.`);
    }
    const deadline = this.now() + this.options.timeoutMs;
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await this.send(method, path, body, deadline));
    } catch (err) {
      this.breaker.failure();
      throw err;
    }
    if (response.ok || options.acceptStatus?.includes(response.status)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw this.malformed('not JSON');
      }
      let value: T;
      try {
        value = read(json);
      } catch (err) {
        if (err instanceof MalformedAnswer) throw this.malformed(err.message);
        // The server answered, but cannot serve the demo as started (no routed experts, say).
        if (err instanceof MoeEndpointError) this.breaker.success();
        throw err;
      }
      this.breaker.success();
      return value;
    }
    throw this.statusError(response, text);
  }

  /** One request, retried once if the connection failed; always within the deadline. */
  private async send(method: string, path: string, body: unknown, deadline: number): Promise<{ response: Response; text: string }> {
    for (let attempt = 0; ; attempt++) {
      const left = deadline - this.now();
      if (left <= 0) throw this.timeout();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), left);
      try {
        const headers: Record<string, string> = { Accept: 'application/json' };
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
        const response = await this.fetchImpl(this.baseUrl + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
        const text = await response.text();
        return { response, text };
      } catch (err) {
        if (controller.signal.aborted) throw this.timeout();
        const code = networkCode(err);
        if (code && attempt === 0) continue;
        throw new MoeEndpointError('unreachable', `The MoE endpoint at ${this.origin()} cannot be reached${code && code !== 'FETCH_FAILED' ? ` (${code})` : ''}. Is it running?`);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private origin(): string {
    try {
      return new URL(this.baseUrl).host;
    } catch {
      return 'MOE_ENDPOINT_URL';
    }
  }

  private timeout(): MoeEndpointError {
    return new MoeEndpointError('timeout', `The MoE endpoint did not answer within ${seconds(this.options.timeoutMs)}. It may be overloaded; try again later.`);
  }

  private statusError(response: Response, text: string): MoeEndpointError {
    const detail = this.adapter.errorDetail(text);
    const header = Number(response.headers.get('retry-after'));
    if (detail.retryAfterS === undefined && Number.isFinite(header) && header > 0) detail.retryAfterS = header;
    const status = response.status;
    const said = detail.message ? `: ${detail.message}` : '';
    // A refusal (4xx) or "still loading" proves the endpoint is up; other 5xx count as failures.
    if (status < 500 || (status === 503 && detail.code === 'loading')) this.breaker.success();
    else this.breaker.failure();
    const own = this.adapter.statusError?.(status, detail, this.transport);
    if (own) return own;
    switch (true) {
      case status === 401 || status === 403:
        return new MoeEndpointError('unauthorized', 'The MoE endpoint refused the bot: MOE_API_TOKEN does not match the endpoint\'s token.');
      case status === 429: {
        const retry = detail.retryAfterS;
        return new MoeEndpointError('busy', `The GPU is busy with other requests; try again${retry ? ` in about ${Math.ceil(retry)} s` : ' shortly'}.`, retry);
      }
      case status === 413 || status === 400:
        return new MoeEndpointError('rejected', `The MoE endpoint refused this request${said}.`);
      case status === 503 && detail.code === 'loading':
        return new MoeEndpointError('loading', `The MoE endpoint is up but its model is not ready${said}.`);
      case status === 504:
        return new MoeEndpointError('timeout', `The MoE endpoint gave up on this request${said}.`);
      default:
        return new MoeEndpointError('server', `The MoE endpoint failed (HTTP ${status}${detail.code ? `, ${detail.code}` : ''}). Try again later.`);
    }
  }
}
