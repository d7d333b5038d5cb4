// Builds dist/ when it is missing or older than the sources, so `npm start` always runs compiled
// JavaScript without needing a TypeScript runtime. In production (dist/ shipped, no TypeScript
// installed) it does nothing.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.tsbuildinfo');
const entry = join(root, 'dist', 'src', 'cli.js');

function newest(dir) {
  let latest = 0;
  if (!existsSync(dir)) return latest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

const built = existsSync(entry) && existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const tsconfig = join(root, 'tsconfig.json');
// A release (the Docker image) ships dist/ without sources or tsconfig.json: nothing to compare.
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'bench')), newest(join(root, 'tests', 'fakes')), existsSync(tsconfig) ? statSync(tsconfig).mtimeMs : 0);
if (built >= sources) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (existsSync(entry)) process.exit(0);
  console.error('dist/ is missing and TypeScript is not installed: run `npm ci` (with dev dependencies) and `npm run build`.');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
process.exit(result.status ?? 1);
