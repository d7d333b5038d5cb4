import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { formatIssue } from '../src/core/content/issues.js';
import { prepareImport } from '../src/core/import/apply.js';
import { IMPORT_FORMATS, type ImportFormat } from '../src/core/import/types.js';
import { ManualClock } from '../src/core/services.js';
import { createLogger } from '../src/logger.js';
import { repoRoot } from './helpers/cli.js';
import { snapshotDb } from './helpers/db-snapshot.js';

const dir = fileURLToPath(new URL('./fixtures/import-malformed/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, { line: number | null; message: string }>;
const files = readdirSync(dir).filter((f) => f !== 'manifest.json').sort();

let app: App;
let dbPath: string;
let home: string;
const formatsSeen = new Set<ImportFormat>();

beforeAll(() => {
  // One database for the whole corpus: each rejected file must leave it exactly as it was.
  home = mkdtempSync(join(tmpdir(), 'quizbot-malformed-'));
  dbPath = join(home, 'bot.sqlite');
  const config = loadConfig({ CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath }, '/nonexistent/.env');
  app = createApp(config, createLogger('silent'), { clock: new ManualClock(new Date('2026-11-20T09:00:00Z')) });
});

afterAll(() => {
  app?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the malformed import corpus', () => {
  it('has at least 40 files, each with an expected line in the manifest', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(manifest).sort()).toEqual(files);
  });

  it.each(files)('%s is refused with --strict at the expected line and changes nothing', async (file) => {
    const expected = manifest[file]!;
    const before = snapshotDb(dbPath);
    const result = await prepareImport(app.services, {
      fileName: file,
      bytes: readFileSync(join(dir, file)),
      actor: { platform: 'cli', userId: 'tester', displayName: 'tester', tenant: null },
      // Every file here has a problem: strict refuses the whole file, as imports once always did.
      strict: true,
    });
    expect(result.ok, `${file} was accepted`).toBe(false);
    if (result.ok) return;
    if (result.format) formatsSeen.add(result.format);
    const shown = result.issues.map(formatIssue);
    const match = result.issues.find((i) => (i.line ?? null) === expected.line && i.message.includes(expected.message));
    expect(match, `expected line ${expected.line}: …${expected.message}… in:\n${shown.join('\n')}`).toBeDefined();
    expect(shown.every((s) => s.startsWith(`${file}:`) || s.startsWith(`${file}: `))).toBe(true);
    expect(snapshotDb(dbPath)).toEqual(before);
  });

  it('covers every import format', () => {
    expect([...formatsSeen].sort()).toEqual([...IMPORT_FORMATS].sort());
  });
});
