import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { closeNow, listenOnLoopback } from './loopback.js';

/** What the fake server does with the next requests. */
export type FakeLlmBehaviour =
  | { kind: 'reply'; content: string }
  | { kind: 'status'; status: number }
  /** Never answers (the client must give up by itself). */
  | { kind: 'hang' };

export interface RecordedLlmRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw request body. */
  body: string;
}

/**
 * An OpenAI-compatible `/v1/chat/completions` server on 127.0.0.1 (a free port), recording every
 * request and answering as told.
 */
export class FakeLlmServer {
  readonly requests: RecordedLlmRequest[] = [];
  behaviour: FakeLlmBehaviour = { kind: 'reply', content: 'Nothing to say [1].' };
  private server: Server;
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const b = this.behaviour;
        if (req.url !== '/v1/chat/completions') {
          res.writeHead(404).end();
        } else if (b.kind === 'hang') {
          return; // closed by stop()
        } else if (b.kind === 'status') {
          res.writeHead(b.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake failure' } }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-fake',
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content: b.content }, finish_reason: 'stop' }],
            }),
          );
        }
      });
    });
  }

  async start(): Promise<string> {
    this.port = Number(new URL(await listenOnLoopback(this.server)).port);
    return this.baseUrl;
  }

  /** The base URL as users configure it (LLM_BASE_URL). */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async stop(): Promise<void> {
    await closeNow(this.server);
  }
}
