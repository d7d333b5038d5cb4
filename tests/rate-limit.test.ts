import { describe, expect, it } from 'vitest';
import { InteractionRateLimit, SLOW_DOWN_TEXT } from '../src/core/rate-limit.js';
import { actor, as, makeApp } from './helpers/app.js';

describe('per-user click limit', () => {
  it('lets a burst through, then refills at the set rate, per key', () => {
    let now = 0;
    const limit = new InteractionRateLimit(3, 2, () => now);
    expect([1, 2, 3, 4].map(() => limit.take('discord:ann'))).toEqual([true, true, true, false]);
    expect(limit.take('discord:bob')).toBe(true);
    now += 499;
    expect(limit.take('discord:ann')).toBe(false);
    now += 1;
    expect(limit.take('discord:ann')).toBe(true);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => limit.take('discord:ann'))).toEqual([true, true, true, false]);
  });

  it('answers a chat user over the limit without running the command, and never limits the terminal', async () => {
    const { app } = makeApp({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SECOND: '0.001' });
    const ann = as(app, actor('ann', false, 'slack'));
    const replies = [await ann.command('lessons'), await ann.command('lessons'), await ann.command('lessons')];
    expect(replies.map((r) => r.text === SLOW_DOWN_TEXT)).toEqual([false, false, true]);
    expect(replies[2]!.visibility).toBe('ephemeral');
    expect((await as(app, actor('bob', false, 'slack')).command('lessons')).text).not.toBe(SLOW_DOWN_TEXT);
    const you = as(app, actor('you'));
    for (let i = 0; i < 5; i++) expect((await you.command('lessons')).text).not.toBe(SLOW_DOWN_TEXT);
    app.close();
  });
});
