import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Slack's Socket Mode side: a WebSocket server that greets a connecting app with `hello`, sends it
 * envelopes (`slash_commands`, `interactive`, `events_api`) and collects the acknowledgements,
 * which carry the envelope_id and, for commands, the response payload.
 */
export class FakeSocketModeServer {
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private connected: Promise<void> | undefined;
  private acks = new Map<string, (payload: any) => void>();
  url = '';

  async start(): Promise<this> {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.wss!.once('listening', resolve));
    this.url = `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/link/?ticket=fake`;
    this.connected = new Promise((resolve) => {
      this.wss!.on('connection', (socket) => {
        this.socket = socket;
        socket.on('message', (data) => {
          const message = JSON.parse(data.toString());
          this.acks.get(message.envelope_id)?.(message.payload ?? {});
        });
        socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'AQUIZ' } }));
        resolve();
      });
    });
    return this;
  }

  /** Resolves once the app connected. */
  whenConnected(): Promise<void> {
    return this.connected!;
  }

  /** Sends an envelope and resolves with the payload of the app's acknowledgement. */
  send(type: 'slash_commands' | 'interactive' | 'events_api', payload: unknown, timeoutMs = 10_000): Promise<any> {
    const envelopeId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for the ${type} envelope`)), timeoutMs);
      this.acks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      this.socket!.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' }));
    });
  }

  async stop(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }
}
