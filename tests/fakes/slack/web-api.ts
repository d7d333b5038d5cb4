import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeNow, listenOnLoopback } from '../loopback.js';

/**
 * A local stand-in for Slack's Web API (https://slack.com/api/<method>): the methods the bot uses,
 * answering in Slack's documented shapes (`{ ok: true, … }` or `{ ok: false, error }` with HTTP
 * 200), with the upload URL of files.getUploadURLExternal pointing back at this server. Every call
 * is recorded for the tests to inspect.
 */

export interface RecordedCall {
  method: string;
  params: Record<string, any>;
  /** The bearer token the call came with. */
  token: string | undefined;
}

export interface FakeUser {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  /** Every version, oldest first (chat.update adds one). */
  history: { text: string; blocks: any[] }[];
}

export interface Upload {
  fileId: string;
  filename: string;
  bytes: Buffer;
  contentType: string;
}

const JSON_PARAMS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function parseParams(raw: Buffer, contentType: string): Record<string, any> {
  if (contentType.includes('application/json')) return raw.length ? JSON.parse(raw.toString('utf8')) : {};
  const params: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
    params[k] = JSON_PARAMS.has(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return params;
}

export class FakeSlackWebApi {
  readonly calls: RecordedCall[] = [];
  readonly uploads: Upload[] = [];
  readonly messages = new Map<string, StoredMessage>();
  readonly users = new Map<string, FakeUser>();
  /** Channels the bot may not post in: chat.postMessage answers channel_not_found. */
  readonly missingChannels = new Set<string>();
  /** Conversations of other workspaces (channel id → team id): conversations.info names their team. */
  readonly foreignChannels = new Map<string, string>();
  /** Files shared with the bot (files.info, and the download at url_private_download). */
  readonly files = new Map<string, { name: string; content: Buffer; filetype?: string }>();
  /** The ids of the files downloaded (requested at their url_private_download), in order. */
  readonly downloads: string[] = [];
  readonly botUserId = 'UQUIZBOT';
  readonly teamId = 'T0TEAM';
  private server: Server | undefined;
  private counter = 0;
  private clock = 1_700_000_000;
  private waiters: (() => void)[] = [];
  base = '';

  /** The WebSocket URL apps.connections.open hands out (Socket Mode). */
  socketModeUrl = '';

  constructor(
    readonly token = 'xoxb-test-token',
    readonly appToken = 'xapp-1-test-app-token',
  ) {}

  /** The Web API base URL for SLACK_API_URL. */
  get url(): string {
    return `${this.base}/api/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.server);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first recorded call that matches (waiting for it when needed). */
  waitFor(method: string, predicate: (c: RecordedCall) => boolean = () => true, timeoutMs = 10_000): Promise<RecordedCall> {
    return this.until(() => this.calls.find((c) => c.method === method && predicate(c)), `a ${method} call`, timeoutMs);
  }

  /** Resolves once `find` returns a value; rejects with what was awaited after timeoutMs. */
  until<T>(find: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return false;
        clearTimeout(timer);
        clearInterval(poll);
        resolve(found);
        return true;
      };
      // Calls wake the check up; the poll covers conditions outside this server (logs, files).
      const poll = setInterval(() => waiter(), 25);
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ') || 'none'}`));
      }, timeoutMs);
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private nextTs(): string {
    this.clock += 1;
    return `${this.clock}.${String(++this.counter).padStart(6, '0')}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.base);
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const upload = /^\/upload\/(F\w+)$/.exec(url.pathname);
    if (upload && req.method === 'POST') {
      const pending = this.uploads.find((u) => u.fileId === upload[1]);
      if (!pending) return send(404, 'unknown upload', 'text/plain');
      pending.bytes = raw;
      pending.contentType = String(req.headers['content-type'] ?? '');
      this.notify();
      return send(200, `OK - ${raw.length}`, 'text/plain');
    }
    const download = /^\/files-pri\/(F\w+)\//.exec(url.pathname);
    if (download && req.method === 'GET') {
      this.downloads.push(download[1]!);
      const file = this.files.get(download[1]!);
      if (!file || req.headers.authorization !== `Bearer ${this.token}`) return send(404, 'not found', 'text/plain');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(file.content);
    }
    const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    if (!method || req.method !== 'POST') return send(404, { ok: false, error: 'unknown_method' });
    const params = parseParams(raw, String(req.headers['content-type'] ?? ''));
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? (typeof params.token === 'string' ? params.token : undefined);
    this.calls.push({ method, params, token: bearer });
    // Socket Mode connections are opened with the app-level token; everything else with the bot token.
    const expected = method === 'apps.connections.open' ? this.appToken : this.token;
    const answer = bearer === expected ? this.answer(method, params) : { ok: false, error: 'invalid_auth' };
    send(200, answer);
    this.notify();
  }

  private answer(method: string, p: Record<string, any>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake-team.slack.com/', team: 'Fake team', user: 'quizbot', team_id: this.teamId, user_id: this.botUserId, bot_id: 'BQUIZBOT', is_enterprise_install: false };
      case 'apps.connections.open':
        return this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : { ok: false, error: 'internal_error' };
      case 'chat.postMessage': {
        if (!p.channel) return { ok: false, error: 'channel_not_found' };
        if (this.missingChannels.has(p.channel)) return { ok: false, error: 'channel_not_found' };
        const ts = this.nextTs();
        const message = { channel: p.channel, ts, text: p.text ?? '', blocks: p.blocks ?? [], history: [{ text: p.text ?? '', blocks: p.blocks ?? [] }] };
        this.messages.set(`${p.channel}/${ts}`, message);
        return { ok: true, channel: p.channel, ts, message: { type: 'message', user: this.botUserId, bot_id: 'BQUIZBOT', text: message.text, blocks: message.blocks, ts } };
      }
      case 'conversations.info': {
        if (!p.channel || this.missingChannels.has(p.channel)) return { ok: false, error: 'channel_not_found' };
        const team = this.foreignChannels.get(p.channel) ?? this.teamId;
        const im = String(p.channel).startsWith('D');
        return { ok: true, channel: { id: p.channel, is_channel: !im, is_im: im, context_team_id: team, shared_team_ids: [team] } };
      }
      case 'chat.postEphemeral':
        if (!p.channel || !p.user) return { ok: false, error: 'invalid_arguments' };
        if (this.missingChannels.has(p.channel)) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: this.nextTs() };
      case 'chat.update': {
        const message = this.messages.get(`${p.channel}/${p.ts}`);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = p.text ?? '';
        message.blocks = p.blocks ?? [];
        message.history.push({ text: message.text, blocks: message.blocks });
        return { ok: true, channel: p.channel, ts: p.ts, text: message.text, message: { text: message.text, blocks: message.blocks } };
      }
      case 'views.open': {
        if (!p.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        if (!p.view || typeof p.view !== 'object') return { ok: false, error: 'invalid_arguments' };
        const id = `V${++this.counter}`;
        return { ok: true, view: { ...p.view, id, team_id: this.teamId, state: { values: {} }, hash: `${this.clock}.hash${this.counter}`, root_view_id: id, app_id: 'AQUIZ', bot_id: 'BQUIZBOT' } };
      }
      case 'users.info': {
        if (!p.user) return { ok: false, error: 'user_not_found' };
        const u = this.users.get(p.user) ?? { id: String(p.user), name: String(p.user).toLowerCase() };
        return {
          ok: true,
          user: {
            id: u.id,
            team_id: this.teamId,
            name: u.name,
            real_name: u.realName ?? u.name,
            is_admin: u.isAdmin ?? false,
            is_owner: u.isOwner ?? false,
            is_bot: false,
            profile: { display_name: u.displayName ?? u.name, real_name: u.realName ?? u.name },
          },
        };
      }
      case 'conversations.open':
        if (!p.users) return { ok: false, error: 'users_list_not_supplied' };
        return { ok: true, channel: { id: `D${String(p.users).replace(/^U/, '')}` } };
      case 'files.getUploadURLExternal': {
        if (!p.filename || !p.length) return { ok: false, error: 'invalid_arguments' };
        const fileId = `F${String(++this.counter).padStart(8, '0')}`;
        this.uploads.push({ fileId, filename: String(p.filename), bytes: Buffer.alloc(0), contentType: '' });
        return { ok: true, upload_url: `${this.base}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal': {
        const files = (p.files ?? []) as { id: string; title?: string }[];
        if (!files.length || files.some((f) => !this.uploads.find((u) => u.fileId === f.id && u.bytes.length > 0))) {
          return { ok: false, error: 'file_not_found' };
        }
        if (p.channel_id && this.missingChannels.has(p.channel_id)) return { ok: false, error: 'channel_not_found' };
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? '', name: this.uploads.find((u) => u.fileId === f.id)!.filename })) };
      }
      case 'files.info': {
        const file = this.files.get(p.file);
        if (!file) return { ok: false, error: 'file_not_found' };
        return { ok: true, file: this.fileObject(p.file, file) };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** A file object as Slack describes one, downloadable from this server with the bot token. */
  fileObject(id: string, file: { name: string; content: Buffer; filetype?: string }): Record<string, unknown> {
    const url = `${this.base}/files-pri/${id}/${encodeURIComponent(file.name)}`;
    return { id, name: file.name, title: file.name, filetype: file.filetype ?? 'text', size: file.content.length, url_private: url, url_private_download: `${url}?download=1` };
  }
}
