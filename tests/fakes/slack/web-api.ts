import { randomBytes } from 'node:crypto';
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
  /** The workspace that token belongs to (undefined: not a valid token). */
  team: string | undefined;
}

/**
 * A workspace that can install the app by OAuth (see addWorkspace): what oauth.v2.access and
 * auth.test say about it.
 */
export interface FakeWorkspace {
  teamId: string;
  name: string;
  /** The Enterprise Grid organisation the workspace belongs to. */
  enterpriseId?: string;
  /** Installed org-wide: the installation (and its token) is the organisation's. */
  orgInstall?: boolean;
  botUserId: string;
  botId: string;
  /** The Slack user who installs the app there. */
  installerUserId: string;
  /**
   * Token rotation: tokens expire and come with a refresh token. The first token lives
   * `firstExpiresIn` seconds, refreshed ones `expiresIn`.
   */
  rotation?: { firstExpiresIn: number; expiresIn: number };
}

interface IssuedToken {
  kind: 'bot' | 'app' | 'refresh';
  teamId: string;
  /** Epoch seconds. */
  expiresAt?: number;
  revoked?: boolean;
  /** A refresh token's scopes, granted again with each rotation. */
  scope?: string;
}

export interface FakeUser {
  id: string;
  /** The workspace the user is in (default: the fake's own team); users.info from another answers user_not_found. */
  teamId?: string;
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
  readonly files = new Map<string, { name: string; content: Buffer; filetype?: string; teamId?: string }>();
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

  /** The app's OAuth credentials (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET). */
  readonly clientId = '1111111111.2222222222';
  readonly clientSecret = 'fake-client-secret-0c7d4e9a';
  /** Workspaces that may install the app by OAuth, by team id. */
  readonly workspaces = new Map<string, FakeWorkspace>();
  /** Where the authorize page sends the installer back when the install URL names no redirect_uri (the app's configured one). */
  oauthRedirectUrl = '';
  private issued = new Map<string, IssuedToken>();
  private codes = new Map<string, { teamId: string; scope: string; redirectUri: string | undefined }>();

  constructor(
    readonly token = 'xoxb-test-token',
    readonly appToken = 'xapp-1-test-app-token',
  ) {
    this.issued.set(token, { kind: 'bot', teamId: this.teamId });
    this.issued.set(appToken, { kind: 'app', teamId: this.teamId });
  }

  /** A workspace that can install the app by OAuth (GET <base>/oauth/v2/authorize?team=<teamId>). */
  addWorkspace(w: Pick<FakeWorkspace, 'teamId'> & Partial<FakeWorkspace>): FakeWorkspace {
    const id = w.teamId.replace(/^[TE]0*/, '');
    const workspace: FakeWorkspace = { name: `Workspace ${w.teamId}`, botUserId: `UBOT${id}`, botId: `BBOT${id}`, installerUserId: `UINSTALLER${id}`, ...w };
    this.workspaces.set(w.teamId, workspace);
    return workspace;
  }

  /** Every bot token issued to a workspace, oldest first. */
  botTokensOf(teamId: string): string[] {
    return [...this.issued].filter(([, t]) => t.kind === 'bot' && t.teamId === teamId).map(([token]) => token);
  }

  /** Every token (bot and refresh) issued to a workspace. */
  tokensOf(teamId: string): string[] {
    return [...this.issued].filter(([token, t]) => t.teamId === teamId && token !== this.token && token !== this.appToken).map(([token]) => token);
  }

  /** Every token of a workspace stops working (what uninstalling the app does on Slack's side). */
  revokeWorkspace(teamId: string): void {
    for (const t of this.issued.values()) if (t.teamId === teamId) t.revoked = true;
  }

  /** The live token, or undefined for an unknown, revoked or expired one. */
  private live(token: string | undefined, kind: IssuedToken['kind']): IssuedToken | undefined {
    const t = token === undefined ? undefined : this.issued.get(token);
    if (!t || t.kind !== kind || t.revoked) return undefined;
    if (t.expiresAt !== undefined && t.expiresAt <= Date.now() / 1000) return undefined;
    return t;
  }

  private newToken(prefix: string, teamId: string): string {
    return `${prefix}-${teamId}-${randomBytes(12).toString('hex')}`;
  }

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
      // Only a live bot token of the file's own workspace downloads it.
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!file || this.live(bearer, 'bot')?.teamId !== (file.teamId ?? this.teamId)) return send(404, 'not found', 'text/plain');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(file.content);
    }
    if (url.pathname === '/oauth/v2/authorize' && req.method === 'GET') return this.authorizePage(url.searchParams, res);
    const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    if (!method || req.method !== 'POST') return send(404, { ok: false, error: 'unknown_method' });
    const params = parseParams(raw, String(req.headers['content-type'] ?? ''));
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? (typeof params.token === 'string' ? params.token : undefined);
    // Socket Mode connections are opened with the app-level token; oauth.v2.access with the app's
    // client id and secret; everything else with a bot token.
    const caller = method === 'oauth.v2.access' ? undefined : this.live(bearer, method === 'apps.connections.open' ? 'app' : 'bot');
    this.calls.push({ method, params, token: bearer, team: caller?.teamId });
    let answer: Record<string, unknown>;
    if (method === 'oauth.v2.access') answer = this.oauthAccess(params, String(req.headers.authorization ?? ''));
    else answer = caller ? this.answer(method, params, caller.teamId) : { ok: false, error: bearer && this.issued.has(bearer) ? 'token_revoked' : 'invalid_auth' };
    send(200, answer);
    this.notify();
  }

  /**
   * Slack's authorize page, as if the installer approved at once: back to the redirect URL with a
   * one-time code and the state it was given. `team` picks the workspace.
   */
  private authorizePage(q: URLSearchParams, res: ServerResponse): void {
    const workspace = this.workspaces.get(q.get('team') ?? '');
    const redirect = q.get('redirect_uri') ?? this.oauthRedirectUrl;
    const fail = (status: number, text: string) => void res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    if (q.get('client_id') !== this.clientId) return fail(400, 'invalid_client_id');
    if (!workspace) return fail(400, 'unknown team');
    if (!redirect) return fail(400, 'no redirect_uri');
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.codes.set(code, { teamId: workspace.teamId, scope: q.get('scope') ?? '', redirectUri: q.get('redirect_uri') ?? undefined });
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    if (q.get('state') !== null) back.searchParams.set('state', q.get('state')!);
    res.writeHead(302, { location: back.toString() }).end();
  }

  /** oauth.v2.access: a code for the workspace's first tokens, or (grant_type=refresh_token) a rotation. */
  private oauthAccess(p: Record<string, any>, authorization: string): Record<string, unknown> {
    const basic = /^Basic (.+)$/.exec(authorization)?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [p.client_id, p.client_secret];
    if (id !== this.clientId) return { ok: false, error: 'invalid_client_id' };
    if (secret !== this.clientSecret) return { ok: false, error: 'bad_client_secret' };
    let teamId: string;
    let scope: string;
    if (p.grant_type === 'refresh_token') {
      const refresh = this.live(p.refresh_token, 'refresh');
      if (!refresh) return { ok: false, error: 'invalid_refresh_token' };
      // A refresh token is good for one exchange; the tokens it replaces stop working.
      for (const t of this.issued.values()) if (t.teamId === refresh.teamId && (t.kind === 'bot' || t.kind === 'refresh')) t.revoked = true;
      teamId = refresh.teamId;
      scope = refresh.scope ?? '';
    } else {
      const code = this.codes.get(p.code);
      if (!code) return { ok: false, error: 'invalid_code' };
      this.codes.delete(p.code);
      if (code.redirectUri !== undefined && p.redirect_uri !== code.redirectUri) return { ok: false, error: 'bad_redirect_uri' };
      teamId = code.teamId;
      scope = code.scope;
    }
    const w = this.workspaces.get(teamId)!;
    const now = Math.floor(Date.now() / 1000);
    const access = this.newToken(w.rotation ? 'xoxe.xoxb-1' : 'xoxb', w.teamId);
    const expiresIn = w.rotation ? (p.grant_type === 'refresh_token' ? w.rotation.expiresIn : w.rotation.firstExpiresIn) : undefined;
    this.issued.set(access, { kind: 'bot', teamId: w.teamId, ...(expiresIn ? { expiresAt: now + expiresIn } : {}) });
    let refreshToken: string | undefined;
    if (w.rotation) {
      refreshToken = this.newToken('xoxe-1', w.teamId);
      this.issued.set(refreshToken, { kind: 'refresh', teamId: w.teamId, scope });
    }
    return {
      ok: true,
      app_id: 'AQUIZ',
      authed_user: { id: w.installerUserId },
      scope,
      token_type: 'bot',
      access_token: access,
      bot_user_id: w.botUserId,
      team: w.orgInstall ? null : { id: w.teamId, name: w.name },
      enterprise: w.enterpriseId ? { id: w.enterpriseId, name: `Organisation ${w.enterpriseId}` } : null,
      is_enterprise_install: w.orgInstall === true,
      ...(refreshToken ? { refresh_token: refreshToken, expires_in: expiresIn } : {}),
    };
  }

  private answer(method: string, p: Record<string, any>, caller: string): Record<string, unknown> {
    const w = this.workspaces.get(caller);
    switch (method) {
      case 'auth.test':
        if (w) {
          return { ok: true, url: `https://${w.teamId.toLowerCase()}.slack.com/`, team: w.name, user: 'quizbot', team_id: w.orgInstall ? '' : w.teamId, user_id: w.botUserId, bot_id: w.botId, is_enterprise_install: w.orgInstall === true, ...(w.enterpriseId ? { enterprise_id: w.enterpriseId } : {}) };
        }
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
        const team = this.foreignChannels.get(p.channel) ?? caller;
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
        return { ok: true, view: { ...p.view, id, team_id: caller, state: { values: {} }, hash: `${this.clock}.hash${this.counter}`, root_view_id: id, app_id: 'AQUIZ', bot_id: 'BQUIZBOT' } };
      }
      case 'users.info': {
        if (!p.user) return { ok: false, error: 'user_not_found' };
        // A user set up without a workspace is a member of whichever asks; one with a workspace is
        // seen only with that workspace's token (or its organisation's, for an org-wide install).
        const u = this.users.get(p.user) ?? { id: String(p.user), name: String(p.user).toLowerCase() };
        const sameOrg = w?.orgInstall === true && this.workspaces.get(u.teamId ?? '')?.enterpriseId === w.enterpriseId;
        if (u.teamId && u.teamId !== caller && !sameOrg) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: u.id,
            team_id: u.teamId ?? caller,
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
  fileObject(id: string, file: { name: string; content: Buffer; filetype?: string; teamId?: string }): Record<string, unknown> {
    const url = `${this.base}/files-pri/${id}/${encodeURIComponent(file.name)}`;
    return { id, name: file.name, title: file.name, filetype: file.filetype ?? 'text', size: file.content.length, url_private: url, url_private_download: `${url}?download=1` };
  }
}
