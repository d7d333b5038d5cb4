import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakeChoice, fakeTokenId, fakeTokens } from './moe-endpoint.js';
import { startRecordingServer, withFaults, type FaultyServer } from './recording-server.js';

/**
 * What the vLLM and SGLang fakes share: a node:http server with faults (down, hang, an error
 * status), the OpenAI model list both serve, a deterministic tokenizer and router (the same
 * hash-based router as the bot's own fake endpoint), and the capture buffer both servers return:
 * [tokens][every decoder layer][top_k], with zeros in dense layers, for every token but the last
 * sampled one.
 */

export type ServingFault =
  | { kind: 'none' }
  | { kind: 'down' }
  | { kind: 'hang' }
  /** An error answer with the server's own body. */
  | { kind: 'status'; status: number; body: unknown; retryAfterS?: number };

export interface ServingOptions {
  token?: string;
  /** The ids GET /v1/models lists; the first is the one loaded. */
  models?: string[];
  experts?: number;
  topK?: number;
  /** Decoder layers, dense ones included. */
  layers?: number;
  denseLayers?: number[];
  /** Started with --enable-return-routed-experts. */
  routedExperts?: boolean;
  maxModelLen?: number;
}

export type FakeServer = FaultyServer<ServingFault>;

export const GENERATED_TEXT = [' Experts', ' share', ' the', ' work', '.', ' Each', ' token', ' picks', ' a', ' few'];

export interface FakeToken {
  id: number;
  text: string;
}

export function tokenize(prompt: string): FakeToken[] {
  return fakeTokens(prompt).map((text) => ({ id: fakeTokenId(text), text }));
}

export function generate(count: number): FakeToken[] {
  return Array.from({ length: count }, (_, i) => GENERATED_TEXT[i % GENERATED_TEXT.length]!).map((text) => ({ id: fakeTokenId(text), text }));
}

export interface Layout {
  experts: number;
  topK: number;
  layers: number;
  dense: number[];
}

export interface Served {
  models: string[];
  layout: Layout;
  maxModelLen: number;
  routedExperts: boolean;
}

/** The options with both servers' defaults filled in. */
export function servedOf(o: ServingOptions, defaultModel: string): Served {
  return {
    models: o.models ?? [defaultModel],
    layout: { experts: o.experts ?? 16, topK: o.topK ?? 2, layers: o.layers ?? 6, dense: o.denseLayers ?? [0] },
    maxModelLen: o.maxModelLen ?? 4096,
    routedExperts: o.routedExperts ?? true,
  };
}

/** Expert ids [token][layer][slot] as the capture buffer holds them: the router's choice, zeros where no router ran. */
export function capture(tokens: FakeToken[], layout: Layout): number[][][] {
  return tokens.map((t) =>
    Array.from({ length: layout.layers }, (_, layer) =>
      layout.dense.includes(layer) ? new Array<number>(layout.topK).fill(0) : fakeChoice(t.text, layer, layout.experts, layout.topK).experts,
    ),
  );
}

export function modelList(models: string[], ownedBy: string, maxModelLen: number) {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 1_780_000_000, owned_by: ownedBy, root: id, parent: null, max_model_len: maxModelLen })),
  };
}

export type Handler = (req: IncomingMessage, path: string, body: unknown, res: ServerResponse) => void | Promise<void>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The server: records requests, applies the fault, answers GET /health (open to all), checks the
 * bearer token (401 `{"error": "Unauthorized"}`, as both servers word it), then hands over.
 */
export async function serve(token: string | undefined, handler: Handler): Promise<FakeServer> {
  let fault: ServingFault = { kind: 'none' };
  const server = await startRecordingServer(
    async (req, res, path, body) => {
      const current = fault;
      if (current.kind === 'hang') return;
      if (current.kind === 'status') {
        return sendJson(res, current.status, current.body, current.retryAfterS !== undefined ? { 'Retry-After': String(current.retryAfterS) } : {});
      }
      if (path === '/health' && req.method === 'GET') {
        res.writeHead(200);
        res.end();
        return;
      }
      if (token && req.headers.authorization !== `Bearer ${token}`) return sendJson(res, 401, { error: 'Unauthorized' });
      await handler(req, path, body, res);
    },
    (res, err) => sendJson(res, 500, { error: { message: String(err.message) } }),
  );
  return withFaults<ServingFault>(server, (next) => {
    fault = next;
  });
}
