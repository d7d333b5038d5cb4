import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { tempDir } from './helpers/tmp.js';

const noDotEnv = '/nonexistent/.env';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({}, noDotEnv);
    expect(c.DATABASE_PATH).toBe('./data/quizbot.sqlite');
    expect(c.CONTENT_DIR).toBe('./content');
  });

  it('names the bad variable and its value', () => {
    expect(() => loadConfig({ NEW_CARDS_PER_DAY: 'lots' }, noDotEnv)).toThrow(ConfigError);
    expect(() => loadConfig({ NEW_CARDS_PER_DAY: 'lots' }, noDotEnv)).toThrow(/^Invalid NEW_CARDS_PER_DAY \(got "lots"\)/);
    expect(() => loadConfig({ DEFAULT_TIMEZONE: 'Mars/Olympus' }, noDotEnv)).toThrow(/DEFAULT_TIMEZONE.*IANA time zone/);
    expect(() => loadConfig({ LLM_BASE_URL: 'not a url' }, noDotEnv)).toThrow(/^Invalid LLM_BASE_URL/);
  });

  it('never echoes a secret', () => {
    expect(() => loadConfig({ DISCORD_TOKEN: 'abc.secret' }, noDotEnv)).toThrow(/DISCORD_APPLICATION_ID is required/);
    expect(() => loadConfig({ DISCORD_TOKEN: 'abc.secret' }, noDotEnv)).not.toThrow(/abc\.secret/);
  });

  it('reads .env without overriding the environment', () => {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, 'CONTENT_DIR=/from/file\nDATABASE_PATH=/file.sqlite\n# comment\n');
    const c = loadConfig({ DATABASE_PATH: '/env.sqlite' }, file);
    expect(c.CONTENT_DIR).toBe('/from/file');
    expect(c.DATABASE_PATH).toBe('/env.sqlite');
  });
});
