import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

/** The TypeScript files under a folder of src/, with their import specifiers. */
function importsUnder(folder: string): { file: string; imports: string[] }[] {
  const root = join(repoRoot, 'src', folder);
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.map((f) => {
    const text = readFileSync(join(root, f), 'utf8');
    const imports = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    return { file: relative(repoRoot, join(root, f)), imports };
  });
}

describe('the direction of imports', () => {
  it('never runs from a platform adapter back up to the composition root', () => {
    const upward = importsUnder('platforms').flatMap(({ file, imports }) => imports.filter((i) => /(^|\/)main\.js$/.test(i)).map((i) => `${file} → ${i}`));
    expect(upward).toEqual([]);
  });

  it('keeps the core free of platform libraries', () => {
    const platformLibraries = importsUnder('core').flatMap(({ file, imports }) => imports.filter((i) => /^(discord\.js|@slack\/)/.test(i)).map((i) => `${file} → ${i}`));
    expect(platformLibraries).toEqual([]);
  });
});
