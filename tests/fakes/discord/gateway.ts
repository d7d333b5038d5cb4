import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import type { Json } from './model.js';

/**
 * The fake gateway (https://discord.com/developers/docs/events/gateway): HELLO on connect,
 * IDENTIFY → READY and GUILD_CREATE, heartbeats acknowledged, RESUME → RESUMED, and dispatch
 * of events such as INTERACTION_CREATE to the identified session. Sharded as Discord shards
 * (https://discord.com/developers/docs/events/gateway#sharding): a session identifies as shard
 * [i, n], hears of the guilds with (guild_id >> 22) % n = i only, and gets their events; direct
 * messages go to shard 0. A bot identifying with fewer shards than required is refused (4011).
 */

/** The shard of `n` that serves a guild. */
export function shardOf(guildId: string | undefined, count: number): number {
  return guildId === undefined ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(count));
}

export const Op = { DISPATCH: 0, HEARTBEAT: 1, IDENTIFY: 2, RESUME: 6, RECONNECT: 7, INVALID_SESSION: 9, HELLO: 10, HEARTBEAT_ACK: 11 } as const;

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  /** The READY payload for a new session (session id, resume URL, shard and guilds are filled in). */
  ready: () => Json;
  /** Every guild the bot is in, as GUILD_CREATE payloads; each session gets its shard's, right after READY. */
  guilds: () => Json[];
  /** The number of shards the bot must use at least (GET /gateway/bot recommends it). */
  shards: () => number;
  url: () => string;
  onEvent: (what: string, detail?: Json) => void;
}

interface Session {
  id: string;
  socket: WebSocket;
  seq: number;
  /** [shard id, shard count] from IDENTIFY. */
  shard: [number, number];
}

export class FakeGateway {
  private readonly wss: WebSocketServer;
  private sessions = new Map<string, Session>();
  /** Every IDENTIFY received (token redacted), newest last. */
  readonly identifies: Json[] = [];
  heartbeats = 0;
  /** WebSocket connections opened to the gateway. */
  connections = 0;

  constructor(
    server: Server,
    private readonly options: GatewayOptions,
  ) {
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (socket, request) => this.connect(socket, request.url ?? ''));
  }

  private send(socket: WebSocket, payload: Json): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  private connect(socket: WebSocket, url: string): void {
    this.connections++;
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    if (query.get('v') !== '10' || (query.get('encoding') ?? 'json') !== 'json') {
      socket.close(4012, 'Invalid API version.');
      return;
    }
    this.send(socket, { op: Op.HELLO, d: { heartbeat_interval: this.options.heartbeatIntervalMs }, s: null, t: null });
    let session: Session | undefined;
    socket.on('message', (raw) => {
      let msg: Json;
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        socket.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (msg.op) {
        case Op.HEARTBEAT:
          this.heartbeats++;
          this.send(socket, { op: Op.HEARTBEAT_ACK, d: null, s: null, t: null });
          return;
        case Op.IDENTIFY: {
          if (session) return void socket.close(4005, 'Already authenticated.');
          if (msg.d?.token !== this.options.token) return void socket.close(4004, 'Authentication failed.');
          const shard: [number, number] = Array.isArray(msg.d.shard) ? [Number(msg.d.shard[0]), Number(msg.d.shard[1])] : [0, 1];
          if (!(shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) return void socket.close(4010, 'Invalid shard.');
          if (shard[1] < this.options.shards()) return void socket.close(4011, 'Sharding required.');
          this.identifies.push({ ...msg.d, token: '[redacted]' });
          session = { id: randomUUID().replace(/-/g, ''), socket, seq: 0, shard };
          this.sessions.set(session.id, session);
          const guilds = this.options.guilds().filter((g) => shardOf(g.id, shard[1]) === shard[0]);
          this.dispatchTo(session, 'READY', {
            ...this.options.ready(),
            guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: this.options.url(),
            shard,
          });
          for (const guild of guilds) this.dispatchTo(session, 'GUILD_CREATE', guild);
          this.options.onEvent('identify', msg.d);
          return;
        }
        case Op.RESUME: {
          const old = this.sessions.get(msg.d?.session_id);
          if (!old || msg.d?.token !== this.options.token) return void this.send(socket, { op: Op.INVALID_SESSION, d: false, s: null, t: null });
          old.socket = socket;
          session = old;
          this.dispatchTo(session, 'RESUMED', {});
          return;
        }
        default:
          // Presence and voice updates are accepted and ignored.
          return;
      }
    });
    socket.on('close', () => {
      if (session && session.socket === socket) this.options.onEvent('disconnect');
    });
  }

  private dispatchTo(session: Session, t: string, d: Json): void {
    session.seq += 1;
    this.send(session.socket, { op: Op.DISPATCH, t, s: session.seq, d });
  }

  /** Whether a bot session is connected and identified. */
  get connected(): boolean {
    return [...this.sessions.values()].some((s) => s.socket.readyState === WebSocket.OPEN);
  }

  /**
   * Sends a dispatch event to the live sessions of the shard it belongs to (its `guild_id`'s, or
   * shard 0); returns the ids of the shards that got it.
   */
  dispatch(t: string, d: Json): number[] {
    const reached: number[] = [];
    for (const s of this.sessions.values()) {
      if (s.socket.readyState !== WebSocket.OPEN || shardOf(d.guild_id, s.shard[1]) !== s.shard[0]) continue;
      this.dispatchTo(s, t, d);
      reached.push(s.shard[0]);
    }
    return reached;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
