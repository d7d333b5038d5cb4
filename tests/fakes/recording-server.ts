import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the model-serving fakes (the bot's own endpoint, vLLM, SGLang) share: a node:http server on
 * 127.0.0.1 that records every request (its body parsed as JSON where it is JSON), can be taken
 * down (connections refused) and brought back up on the same port, and closes its open sockets on
 * the way down so that hanging requests end.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests that reached the server for one path (connections refused while down are not counted). */
  hits(path?: string): number;
  /** Stops listening (down) or listens again on the same port (up); a no-op when already so. */
  setDown(down: boolean): Promise<void>;
  close(): Promise<void>;
}

/** `handle` gets each recorded request; what it throws is `onError`'s to answer. */
export async function startRecordingServer(
  handle: (req: IncomingMessage, res: ServerResponse, path: string, body: unknown) => Promise<void>,
  onError: (res: ServerResponse, err: Error) => void,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  let down = false;

  async function record(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    await handle(req, res, path, body);
  }

  function makeServer(): Server {
    const s = createServer((req, res) => {
      record(req, res).catch((err: unknown) => onError(res, err as Error));
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return s;
  }
  let server = makeServer();
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
    async setDown(next) {
      if (next === down) return;
      down = next;
      if (next) return stop();
      server = makeServer();
      await listen();
    },
    close: stop,
  };
}
