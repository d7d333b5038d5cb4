import { join } from 'node:path';
import Database from 'better-sqlite3';
import { default_w } from 'ts-fsrs';
import { afterEach, describe, expect, it } from 'vitest';
import { LEARNERS, simulate, type SimResult } from '../bench/srs-sim.js';
import { repoRoot, runCli } from './helpers/cli.js';

/** `quizbot srs fit` as a child process, on the database simulated learners filled. */

const sims: SimResult[] = [];
afterEach(() => {
  while (sims.length) sims.pop()!.close();
});

describe('quizbot srs fit', () => {
  it('fits each learner with enough reviews and their server, and prints the defaults against the fitted parameters', async () => {
    const s = await simulate({ learners: [LEARNERS[2]!, { name: 'newcomer', w: [...default_w] }], days: 22, fit: false });
    sims.push(s);
    const dbPath = join(s.dir, 'sim.sqlite');
    const newcomer = s.learners[1]!.userId;
    s.app.services.db.$client.prepare("DELETE FROM reviews WHERE user_id = ? AND local_day > '2026-01-05'").run(newcomer);
    s.app.close();
    const env = { CONTENT_DIR: join(repoRoot, 'content'), DATABASE_PATH: dbPath };

    const json = await runCli(['srs', 'fit', '--json'], { env, timeoutMs: 120_000 });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as {
      minItems: number;
      learners: { learner: string; reviews: number; items: number; defaults: { logLoss: number; rmseBins: number }; fitted: { logLoss: number; rmseBins: number }; kept: boolean }[];
      servers: { learner: string }[];
      overall: { learners: number; reviews: number; defaults: { logLoss: number }; fitted: { logLoss: number } };
    };
    expect(out.minItems).toBe(64);
    expect(out.learners.map((l) => l.learner)).toEqual(['terminal:fast-a']);
    const [fast] = out.learners as [(typeof out.learners)[number]];
    expect(fast.items).toBeGreaterThanOrEqual(64);
    expect(fast.kept).toBe(fast.fitted.logLoss < fast.defaults.logLoss);
    expect(fast.fitted.rmseBins).toBeGreaterThan(0);
    expect(out.servers.map((x) => x.learner)).toEqual(['terminal:local']);
    expect(out.overall).toMatchObject({ learners: 1, reviews: fast.reviews });
    expect(out.overall.fitted.logLoss).toBeCloseTo(fast.fitted.logLoss, 6);

    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT scope, reviews, kept FROM srs_fits ORDER BY id').all() as { scope: string; reviews: number }[];
    db.close();
    expect(rows.map((r) => r.scope)).toEqual(['user', 'tenant']);
    expect(rows[0]!.reviews).toBe(fast.reviews);

    const text = await runCli(['srs', 'fit', '--user', 'terminal:fast-a'], { env, timeoutMs: 120_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`learner terminal:fast-a: ${fast.reviews} reviews \\(\\d+ items\\); log loss 0\\.\\d{4} with the defaults, 0\\.\\d{4} fitted; RMSE \\(bins\\) 0\\.\\d{4} → 0\\.\\d{4}; (kept|not kept: the fitted parameters did not lower the log loss)`));
    expect(text.stdout).toMatch(/Overall, 1 learner, \d+ reviews: log loss/);
    expect(text.stdout).not.toMatch(/server terminal:local/);

    const few = await runCli(['srs', 'fit', '--user', 'terminal:newcomer'], { env });
    expect(few.code).toBe(0);
    expect(few.stdout).toMatch(/terminal:newcomer has too few reviews to fit \(64 training items needed\)/);
    const nobody = await runCli(['srs', 'fit', '--user', 'terminal:ghost'], { env });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/There is no learner terminal:ghost\./);
    const malformed = await runCli(['srs', 'fit', '--user', 'ghost'], { env });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--user must look like/);
  }, 300_000);
});
