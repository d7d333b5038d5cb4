import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../src/core/index.js';
import { RESTARTING_TEXT, type HandledObserver } from '../src/core/dispatcher.js';
import { holderPath, readLock } from '../src/ops/lock.js';
import { testActionSpecs } from './helpers/actions.js';
import { actor, as, makeApp } from './helpers/app.js';
import { acknowledged, BotChild, burstEnv } from './helpers/ops.js';
import { tempDir } from './helpers/tmp.js';

describe('SIGTERM during a burst of answers (terminal chat as a child process, real SQLite file)', () => {
  it('exits 0 with every acknowledged answer stored and the database intact', async () => {
    const count = 200;
    const env = burstEnv(tempDir(), count);
    const bot = new BotChild(env);
    bot.write('/quiz\n');
    await bot.waitFor((out) => out.includes(`question 1 of ${count}`), 'the first question');
    // The whole burst at once: answer ("1") and next ("1") for every question.
    bot.write('1\n1\n'.repeat(count));
    await bot.waitFor((out) => acknowledged(out) >= 3, 'three answers');
    bot.signal('SIGTERM');
    const code = await bot.exited;

    const acked = acknowledged(bot.stdout);
    expect(code, bot.stderr).toBe(0);
    expect(acked).toBeGreaterThanOrEqual(3);
    expect(acked).toBeLessThan(count); // the signal came in the middle of the burst
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    const stored = db.prepare('SELECT count(*) n, min(position) lo, max(position) hi FROM session_answers').get() as { n: number; lo: number; hi: number };
    // Exactly the acknowledged answers, in order: none lost, none stored without its reply.
    expect(stored).toEqual({ n: acked, lo: 0, hi: acked - 1 });
    expect(db.prepare('SELECT count(*) n FROM reviews').get()).toEqual({ n: acked });
    db.close();
    expect(readLock(env.DATABASE_PATH)).toBeUndefined();
    expect(existsSync(holderPath(env.DATABASE_PATH))).toBe(false);
  });
});

describe('draining the dispatcher (in process)', () => {
  it('finishes interactions in flight, refuses new ones, and reports both to observers', async () => {
    const { app } = makeApp();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const dispatcher = createDispatcher(app.services, [
      {
        actionSpecs: testActionSpecs('slow', 'boom'),
        actions: {
          slow: async () => {
            await gate;
            return { text: 'slow done', visibility: 'ephemeral' };
          },
          boom: () => {
            throw new TypeError('a bug in one handler');
          },
        },
      },
    ]);
    const seen: { kind: string; text: string; failed: boolean }[] = [];
    const observer: HandledObserver = (i, reply, ms, error) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      seen.push({ kind: i.kind === 'action' ? i.actionId : i.command, text: reply.text, failed: error !== undefined });
    };
    dispatcher.observe(observer);
    const user = { ...as({ ...app, dispatcher }, actor('alice')) };

    // A bug in one handler is an error reply, not a crash; the next interaction works.
    const boom = await user.action('boom');
    expect(boom.text).toMatch(/Something went wrong on our side \(ref [0-9a-f]{8}\)/);
    expect((await user.command('help')).text).toMatch(/lesson/);

    const slow = user.action('slow');
    await new Promise((r) => setImmediate(r));
    expect(dispatcher.inflight.size).toBe(1);
    dispatcher.inflight.close();
    const refused = await user.command('help');
    expect(refused.text).toBe(RESTARTING_TEXT);
    const settled = dispatcher.inflight.settled(5000);
    release();
    expect(await settled).toBe(true);
    expect((await slow).text).toBe('slow done');
    expect(dispatcher.inflight.size).toBe(0);
    expect(seen).toEqual([
      { kind: 'boom', text: expect.stringMatching(/Something went wrong/), failed: true },
      { kind: 'help', text: expect.any(String), failed: false },
      { kind: 'slow', text: 'slow done', failed: false },
    ]);
    app.close();
  });

  it('stops waiting after the bound when an interaction never finishes', async () => {
    const { app } = makeApp();
    const dispatcher = createDispatcher(app.services, [{ actionSpecs: testActionSpecs('stuck'), actions: { stuck: () => new Promise(() => {}) } }]);
    void as({ ...app, dispatcher }, actor('bob')).action('stuck');
    await new Promise((r) => setImmediate(r));
    dispatcher.inflight.close();
    expect(await dispatcher.inflight.settled(50)).toBe(false);
    expect(dispatcher.inflight.size).toBe(1);
    app.close();
  });
});
