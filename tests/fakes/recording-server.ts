import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeNow, listenOnLoopback } from './loopback.js';

/**
 * What the model-serving fakes (the bot's own endpoint, vLLM, SGLang) share: a node:http server on
 * 127.0.0.1 that records every request (its body parsed as JSON where it is JSON), can be taken
 * down (connections refused) and brought back up on the same port, and drops its open connections
 * on the way down so that hanging requests end.
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

/** A recording server whose faults (one of them being down) are set instead of its being up or down. */
export type FaultyServer<F> = Omit<RecordingServer, 'setDown'> & { setFault(fault: F): Promise<void> };

/** `server` with setFault: `apply` takes the fault in, and a fault of kind 'down' takes the server down. */
export function withFaults<F extends { kind: string }>(server: RecordingServer, apply: (fault: F) => void): FaultyServer<F> {
  const { setDown, ...rest } = server;
  return {
    ...rest,
    async setFault(fault) {
      apply(fault);
      await setDown(fault.kind === 'down');
    },
  };
}

/** `handle` gets each recorded request; what it throws is `onError`'s to answer. */
export async function startRecordingServer(
  handle: (req: IncomingMessage, res: ServerResponse, path: string, body: unknown) => Promise<void>,
  onError: (res: ServerResponse, err: Error) => void,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
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

  const makeServer = (): Server =>
    createServer((req, res) => {
      record(req, res).catch((err: unknown) => onError(res, err as Error));
    });
  let server = makeServer();
  const url = await listenOnLoopback(server);
  const port = Number(new URL(url).port);
  return {
    url,
    requests,
    hits: (path?: string) => requests.filter((r) => path === undefined || r.path === path).length,
    async setDown(next) {
      if (next === down) return;
      down = next;
      if (next) return closeNow(server);
      server = makeServer();
      await listenOnLoopback(server, port);
    },
    close: () => closeNow(server),
  };
}
