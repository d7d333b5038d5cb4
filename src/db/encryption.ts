import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets the bot stores (the Slack tokens of each workspace that installed it) are sealed with
 * AES-256-GCM under INSTALLATION_ENCRYPTION_KEY: a fresh random 96-bit IV per value, the 128-bit
 * authentication tag beside it, and a context (what the value is, and whose) as additional
 * authenticated data, so a sealed value copied onto another row does not open there.
 *
 * A sealed value is text: `v1:<iv>:<tag>:<ciphertext>`, each part base64.
 */

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * The key from its text: 64 hexadecimal digits, or base64 (standard or URL-safe, padding
 * optional) of exactly 32 bytes, as `openssl rand -base64 32` prints. Undefined when malformed.
 */
export function parseEncryptionKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  // Buffer.from ignores what it cannot read: the text must be exactly the key's encoding.
  if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== t.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')) return undefined;
  return key;
}

/** A sealed value that does not open: another key, another context, or altered bytes. */
export class SealError extends Error {
  override name = 'SealError';
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`an encryption key has ${KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  /** Seals `plaintext` for `context` (e.g. `slack-installation:T123`). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** The plaintext of a sealed value; throws SealError when it does not open for `context` with this key. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SealError('not a sealed value');
    const [iv, tag, body] = parts.slice(1).map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealError('not a sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('the value does not open with this key');
    }
  }
}
