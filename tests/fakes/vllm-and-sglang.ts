import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fakeChoice, fakeTokens } from './moe-endpoint.js';

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

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  hits(path?: string): number;
  setFault(fault: ServingFault): Promise<void>;
  close(): Promise<void>;
}

export const GENERATED_TEXT = [' Experts', ' share', ' the', ' work', '.', ' Each', ' token', ' picks', ' a', ' few'];

export interface FakeToken {
  id: number;
  text: string;
}

export function tokenize(prompt: string): FakeToken[] {
  return fakeTokens(prompt).map((text) => ({ id: createHash('sha256').update(text).digest().readUInt16BE(0) + 2, text }));
}

export function generate(count: number): FakeToken[] {
  return Array.from({ length: count }, (_, i) => {
    const text = GENERATED_TEXT[i % GENERATED_TEXT.length]!;
    return { id: createHash('sha256').update(text).digest().readUInt16BE(0) + 2, text };
  });
}

export interface Layout {
  experts: number;
  topK: number;
  layers: number;
  dense: number[];
}

export function layoutOf(o: ServingOptions): Layout {
  return { experts: o.experts ?? 16, topK: o.topK ?? 2, layers: o.layers ?? 6, dense: o.denseLayers ?? [0] };
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

/** The server: records requests, applies the fault, checks the bearer token (401 with `unauthorized`), then hands over. */
export async function serve(options: { token?: string; unauthorized: unknown; open: string[] }, handler: Handler): Promise<FakeServer> {
  let fault: ServingFault = { kind: 'none' };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const current = fault;
    if (current.kind === 'hang') return;
    if (current.kind === 'status') {
      return sendJson(res, current.status, current.body, current.retryAfterS !== undefined ? { 'Retry-After': String(current.retryAfterS) } : {});
    }
    if (options.token && !options.open.includes(path) && req.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(res, 401, options.unauthorized);
    }
    await handler(req, path, body, res);
  }

  let server: Server = makeServer();
  function makeServer(): Server {
    const s = createServer((req, res) => {
      Promise.resolve(handle(req, res)).catch((err: unknown) => sendJson(res, 500, { error: { message: String((err as Error).message) } }));
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return s;
  }
  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
  function stop(): Promise<void> {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hits: (path?: string) => requests.filter((r) => path === undefined || r.path === path).length,
    async setFault(next) {
      const wasDown = fault.kind === 'down';
      fault = next;
      if (next.kind === 'down' && !wasDown) await stop();
      if (next.kind !== 'down' && wasDown) {
        server = makeServer();
        await listen();
      }
    },
    close: stop,
  };
}
