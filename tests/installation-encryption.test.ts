import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, slackConfigured, slackOAuth } from '../src/config.js';
import { parseEncryptionKey, SealError, SecretBox } from '../src/db/encryption.js';

const noDotEnv = '/nonexistent/.env';

describe('INSTALLATION_ENCRYPTION_KEY', () => {
  const key = randomBytes(32);

  it('reads 32 bytes as base64 (padded, unpadded, URL-safe) or as 64 hex digits', () => {
    for (const text of [key.toString('base64'), key.toString('base64').replace(/=+$/, ''), key.toString('base64url'), key.toString('hex'), ` ${key.toString('hex').toUpperCase()}\n`]) {
      expect(parseEncryptionKey(text), text).toEqual(key);
    }
  });

  it('refuses anything else', () => {
    for (const text of ['', 'secret', randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), key.toString('hex').slice(1), `${key.toString('base64')}!`, 'é'.repeat(44)]) {
      expect(parseEncryptionKey(text), text).toBeUndefined();
    }
  });
});

describe('sealed values (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, with a fresh IV each time, and no plaintext in the sealed text', () => {
    const secret = 'xoxb-123-secret-token';
    const one = box.seal(secret, 'slack-installation:T1');
    const two = box.seal(secret, 'slack-installation:T1');
    expect(one).not.toBe(two);
    expect(one.split(':')[1]).not.toBe(two.split(':')[1]);
    expect(one).not.toContain('secret');
    expect(box.open(one, 'slack-installation:T1')).toBe(secret);
    expect(box.open(two, 'slack-installation:T1')).toBe(secret);
  });

  it('refuses a value altered, moved to another row, or opened with another key', () => {
    const sealed = box.seal('xoxb-123-secret-token', 'slack-installation:T1');
    const [v, iv, tag, body] = sealed.split(':') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64');
    flipped[0]! ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64')].join(':'), 'slack-installation:T1')).toThrow(SealError);
    expect(() => box.open(sealed, 'slack-installation:T2')).toThrow(SealError);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'slack-installation:T1')).toThrow(SealError);
    expect(() => box.open('not sealed', 'slack-installation:T1')).toThrow(SealError);
  });
});

describe('Slack installs by OAuth: configuration', () => {
  const oauth = {
    SLACK_CLIENT_ID: '111.222',
    SLACK_CLIENT_SECRET: 'client-secret-value',
    SLACK_STATE_SECRET: 'state-secret-of-sixteen+',
    SLACK_SIGNING_SECRET: 'signing-secret-value',
    INSTALLATION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };

  it('is on with all five settings, and needs no SLACK_BOT_TOKEN', () => {
    const c = loadConfig(oauth, noDotEnv);
    expect(slackOAuth(c)).toBe(true);
    expect(slackConfigured(c)).toBe(true);
  });

  it('names what is missing or in the way, without echoing a secret', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...oauth, INSTALLATION_ENCRYPTION_KEY: '' }, /need INSTALLATION_ENCRYPTION_KEY.*openssl rand -base64 32/],
      [{ ...oauth, INSTALLATION_ENCRYPTION_KEY: 'too-short-key' }, /^Invalid INSTALLATION_ENCRYPTION_KEY: it must be 32 bytes/],
      [{ ...oauth, SLACK_STATE_SECRET: '' }, /need SLACK_STATE_SECRET too/],
      [{ ...oauth, SLACK_CLIENT_ID: '', SLACK_CLIENT_SECRET: '' }, /need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET too/],
      [{ ...oauth, SLACK_BOT_TOKEN: 'xoxb-one-workspace' }, /either SLACK_BOT_TOKEN .* not both/],
      [{ ...oauth, SLACK_APP_TOKEN: 'xapp-1-socket' }, /HTTP mode: set SLACK_SIGNING_SECRET and unset SLACK_APP_TOKEN/],
      [{ ...oauth, SLACK_SIGNING_SECRET: '' }, /HTTP mode: set SLACK_SIGNING_SECRET/],
      [{ ...oauth, SLACK_STATE_SECRET: 'short' }, /SLACK_STATE_SECRET must be at least 16 characters/],
      [{ ...oauth, SLACK_REDIRECT_URI: 'https://quiz.example.com/slack/oauth_redirect?x=1' }, /^Invalid SLACK_REDIRECT_URI .*without a query/],
      [{ ...oauth, SLACK_REDIRECT_URI: 'not a url' }, /^Invalid SLACK_REDIRECT_URI/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        loadConfig(env, noDotEnv);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      for (const secret of [oauth.SLACK_CLIENT_SECRET, oauth.SLACK_STATE_SECRET, oauth.INSTALLATION_ENCRYPTION_KEY, 'too-short-key']) expect((error as Error).message).not.toContain(secret);
    }
  });
});
