import { describe, expect, it } from 'vitest';
import { award } from '../src/core/quiz/scoring.js';
import { quizStore } from '../src/core/quiz/store.js';
import { makeApp } from './helpers/app.js';

describe('rank index', () => {
  it('agrees with counting the scores table after awards, and after a rebuild', () => {
    const { app, clock } = makeApp();
    const store = quizStore(app.services);
    const users = Array.from({ length: 40 }, (_, i) => store.user({ platform: 'terminal', userId: `u${i}`, displayName: `u${i}`, isAdmin: false }).id);
    const check = () => {
      for (const points of [0, 5, 10, 15, 40, 75, 200]) {
        const sql = (app.services.db.$client.prepare("SELECT count(*) n FROM scores WHERE scope = 'terminal:local' AND period = 'all' AND points > ?").get(points) as { n: number }).n;
        expect(store.ranks.countAbove('terminal:local', 'all', points)).toBe(sql);
      }
    };
    let n = 0;
    for (let round = 0; round < 6; round++) {
      for (const [i, userId] of users.entries()) {
        if ((i * 7 + round) % 3 === 0) continue;
        award(store, { key: `k${n++}`, userId, platform: 'terminal', serverId: 'local', channelId: 'c', points: i % 2 ? 10 : 5, reason: 'test', now: clock.now() });
      }
      check(); // the index was built on the first check and then moved with each award
    }
    store.ranks.clear();
    check();
    app.close();
  });
});
