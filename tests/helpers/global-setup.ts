import { spawnSync } from 'node:child_process';

/** Child-process tests run the compiled bot: make sure dist/ is current. */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['scripts/ensure-build.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}
