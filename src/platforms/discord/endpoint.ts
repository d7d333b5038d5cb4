import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InteractionResponseType, InteractionType, type APIInteraction, type APIInteractionResponse, type RawFile } from 'discord.js';
import type { Logger } from '../../logger.js';
import { send, type HttpRoute } from '../../ops/http.js';
import { loggableError, type DiscordInteractions } from './interactions.js';
import type { Transport } from './respond.js';

/**
 * Discord's interactions endpoint (the Developer Portal's "Interactions Endpoint URL"): Discord
 * POSTs each interaction here instead of sending it over the gateway, and the HTTP response is
 * the interaction's first response. Every request is signed with the application's Ed25519 key.
 */

export const INTERACTIONS_PATH = '/discord/interactions';

/**
 * Requests signed longer ago than this (or this far ahead) are refused as replays. Discord sets
 * no window of its own, so this one is generous: it only has to outlast clock skew.
 */
const MAX_SIGNATURE_AGE_S = 5 * 60;

/** Interaction payloads are a few kilobytes; anything this large is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The application's public key (64 hex digits, General Information → Public Key) as a key object. */
export function discordPublicKey(hex: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'forged' | 'stale';

/** Checks X-Signature-Ed25519 over X-Signature-Timestamp + the raw body, and the timestamp's age. */
function checkSignature(key: KeyObject, signature: string | undefined, timestamp: string | undefined, body: Buffer, nowS = Date.now() / 1000): SignatureCheck {
  if (!signature || !timestamp) return 'missing';
  if (!/^[0-9a-f]{128}$/i.test(signature) || !/^\d{1,12}$/.test(timestamp)) return 'malformed';
  if (!verify(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'hex'))) return 'forged';
  return Math.abs(nowS - Number(timestamp)) > MAX_SIGNATURE_AGE_S ? 'stale' : 'ok';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The raw body, or undefined when it is larger than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The endpoint's transport: the first response is this request's HTTP response (JSON). */
class HttpResponseTransport implements Transport {
  readonly kind = 'http';
  answered = false;
  repeat = false;
  constructor(private readonly res: ServerResponse) {}

  async send(response: APIInteractionResponse, files: RawFile[]): Promise<void> {
    if (this.answered) throw new Error('The interaction was already answered.');
    // The Responder defers and edits files in; one reaching here would be lost without a trace.
    if (files.length) throw new Error('An HTTP response cannot carry files.');
    this.answered = true;
    await send(this.res, 200, JSON.stringify(response), 'application/json');
  }

  repeated(first: Promise<APIInteractionResponse | undefined>): void {
    this.repeat = true;
    // Discord takes whichever answer reaches it: a retried request gets the first one's.
    void first.then((response) => (response ? this.send(response, []) : send(this.res, 500, 'no response\n')));
  }
}

/** POST /discord/interactions: verifies, answers PING, and hands interactions to the adapter. */
export function interactionsRoute(key: KeyObject, interactions: DiscordInteractions, logger: Logger): HttpRoute {
  const refuse = (res: ServerResponse, why: SignatureCheck | 'too large', status = 401) => {
    logger.debug({ why }, 'discord interactions endpoint refused a request');
    return send(res, status, status === 401 ? 'invalid request signature\n' : 'request too large\n');
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body) return refuse(res, 'too large', 413);
    const check = checkSignature(key, header(req, 'x-signature-ed25519'), header(req, 'x-signature-timestamp'), body);
    if (check !== 'ok') return refuse(res, check);
    let interaction: APIInteraction;
    try {
      interaction = JSON.parse(body.toString('utf8')) as APIInteraction;
    } catch {
      return send(res, 400, 'invalid JSON\n');
    }
    if (interaction.type === InteractionType.Ping) return send(res, 200, JSON.stringify({ type: InteractionResponseType.Pong }), 'application/json');
    if (typeof interaction.id !== 'string' || typeof interaction.token !== 'string') return send(res, 400, 'not an interaction\n');
    const transport = new HttpResponseTransport(res);
    await interactions.handle(interaction, transport);
    // Handled without an answer (a bug): end the request rather than leave Discord waiting.
    if (!transport.answered && !transport.repeat) {
      logger.error({ interaction: interaction.id }, 'discord interaction ended without a response');
      await send(res, 500, 'no response\n');
    }
  };
  return {
    path: INTERACTIONS_PATH,
    method: 'POST',
    handler: (req, res) => {
      handler(req, res).catch((err: unknown) => {
        logger.warn({ error: loggableError(err) }, 'discord interactions endpoint failed');
        void send(res, 500, 'internal error\n');
      });
    },
  };
}
