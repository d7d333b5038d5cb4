import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StressBot } from './harness/bot.js';
import { scratchDir } from './harness/dirs.js';
import { fillDisk, freeDisk, lockDatabase, mountTmpfs, setImmutable, truncateWal, unmount } from './harness/faults.js';
import { checkLedger } from './harness/ledger.js';
import type { QuizAck } from './harness/load.js';
import { ACK_DEADLINE_MS, NoAnswer, Platforms, type Button, type PlatformName, type Seen } from './harness/platforms.js';
import { recordSection } from './harness/report.js';

/**
 * Storage faults while users answer: a full disk, a read-only database and a locked database.
 * During each, users get a clear error instead of a wrong confirmation, the log says what broke,
 * nothing is half-written, and the same press works once the fault is gone.
 */

const GRADED = /✅ Right!(?: \+(\d+) points)?|❌ Not quite|Here's the answer — it'll come back soon/;
const PLATFORMS: PlatformName[] = ['discord', 'slack'];
/** Far longer than the bot's 1 s busy timeout: both users' writes give up while it is held. */
const LOCK_MS = 12_000;

interface Attempt {
  platform: PlatformName;
  text: string;
  /** From the press until the user saw the answer (or gave up). */
  seenMs: number;
  ackMs: number;
}

describe('storage faults: disk full, read-only database, locked database', () => {
  let platforms: Platforms;
  let bot: StressBot;
  let dir: string;
  let dbPath: string;
  let mounted = false;
  const scratch = scratchDir('quizbot-stress-faults-');
  /** A second bot on an ext4 database: tmpfs ignores the immutable flag on open files. */
  let diskBot: StressBot;
  let diskDbPath: string;
  const acks: QuizAck[] = [];
  const acksByDb = new Map<string, QuizAck[]>();
  const rows: (string | number)[][] = [];
  let userCount = 0;

  beforeAll(async () => {
    dir = join(scratch.path, 'disk');
    mounted = mountTmpfs(dir, '16m');
    if (!mounted) throw new Error('the disk-full fault needs a small tmpfs: run the stress suite as root (mount -t tmpfs)');
    diskDbPath = join(dir, 'bot.sqlite');
    dbPath = join(scratch.path, 'bot.sqlite');
    platforms = await Platforms.start(2);
    diskBot = new StressBot(platforms.env(diskDbPath));
    bot = diskBot;
    await bot.start();
  });

  afterAll(async () => {
    await diskBot?.stop();
    await bot?.stop();
    await platforms?.stop();
    if (mounted) unmount(dir);
    scratch.cleanup();
  });

  /** Each platform's user opens a quiz before the fault, so there is a question to answer. */
  async function openQuizzes(): Promise<{ platform: PlatformName; name: string; seen: Seen; button: Button }[]> {
    return Promise.all(
      PLATFORMS.map(async (platform) => {
        const name = `f${++userCount}`;
        const seen = await platforms.client(platform).command(name, 0, 'quiz start');
        const button = seen.buttons.find((b) => b.id.startsWith('qa:'));
        if (!button) throw new Error(`no question for ${platform}: ${seen.text}`);
        return { platform, name, seen, button };
      }),
    );
  }

  async function press(u: { platform: PlatformName; name: string; seen: Seen; button: Button }): Promise<Attempt> {
    const started = performance.now();
    try {
      const after = await platforms.client(u.platform).press(u.name, 0, u.seen, u.button, 10_000);
      return { platform: u.platform, text: after.text, seenMs: performance.now() - started, ackMs: after.ackMs };
    } catch (err) {
      if (!(err instanceof NoAnswer)) throw err;
      return { platform: u.platform, text: `(no answer: ${err.message.slice(0, 80)})`, seenMs: performance.now() - started, ackMs: NaN };
    }
  }

  const answerRows = (sessionId: string, position: number) => {
    const db = new Database(bot === diskBot ? diskDbPath : dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) n FROM session_answers WHERE session_id = ? AND position = ?').get(sessionId, position) as { n: number }).n;
    } finally {
      db.close();
    }
  };

  /** Opens quizzes, breaks storage, has everyone answer, repairs it, and has them answer again. */
  async function underFault(name: string, inject: () => void, repair: () => void | Promise<void>, options: { oneByOne?: boolean } = {}) {
    const users = await openQuizzes();
    const logMark = bot.logs().length;
    inject();
    const during: Attempt[] = [];
    try {
      if (options.oneByOne) for (const u of users.reverse()) during.push(await press(u));
      else during.push(...(await Promise.all(users.map(press))));
    } finally {
      await repair();
    }
    const logged = bot.logs().slice(logMark).filter((l) => l.level >= 50);
    const stored = users.map((u) => answerRows(u.button.id.split(':')[1]!, Number(u.button.id.split(':')[2])));
    const after = await Promise.all(users.map(press));
    users.forEach((u, i) => {
      const graded = GRADED.exec(after[i]!.text);
      const [, sessionId, position] = u.button.id.split(':');
      if (graded) acks.push({ platform: u.platform, user: platforms.externalId(u.platform, u.name), sessionId: sessionId!, position: Number(position), points: Number(graded[1] ?? 0) });
    });
    const codes = [...new Set(logged.map((l) => l.err?.code ?? l.err?.type ?? l.msg))];
    for (const a of during) {
      rows.push([name, a.platform, a.text.split('\n')[0]!.slice(0, 110), `${Math.round(a.seenMs)} ms`, codes.join(', ') || '(none)', after.find((x) => x.platform === a.platform)!.text.split('\n')[0]!.slice(0, 40)]);
    }
    return { during, after, logged, stored, codes };
  }

  it('disk full: the answer is refused with a clear error and saved once space is back', async () => {
    const filler = join(dir, 'filler');
    const r = await underFault(
      'Disk full (16 MB tmpfs, filler file)',
      () => {
        truncateWal(diskDbPath);
        fillDisk(filler);
      },
      () => freeDisk(filler),
    );
    for (const a of r.during) {
      expect(a.text).not.toMatch(GRADED);
      expect(a.text).toMatch(/try again/i);
      expect(a.ackMs).toBeLessThan(ACK_DEADLINE_MS);
    }
    expect(r.stored).toEqual([0, 0]);
    expect(r.codes.join(' ')).toMatch(/SQLITE_FULL|SQLITE_IOERR/);
    for (const a of r.after) expect(a.text).toMatch(GRADED);
    // The rest runs on a database on an ordinary disk.
    expect(await diskBot.stop()).toBe(0);
    acksByDb.set(diskDbPath, acks.splice(0));
    bot = new StressBot(platforms.env(dbPath));
    await bot.start();
  });

  it('read-only database: the answer is refused with a clear error and saved once writable again', async () => {
    const r = await underFault(
      'Read-only database (chattr +i)',
      () => {
        truncateWal(dbPath);
        setImmutable(dbPath, true);
      },
      () => setImmutable(dbPath, false),
    );
    for (const a of r.during) {
      expect(a.text).not.toMatch(GRADED);
      expect(a.text).toMatch(/try again/i);
      expect(a.ackMs).toBeLessThan(ACK_DEADLINE_MS);
    }
    expect(r.stored).toEqual([0, 0]);
    expect(r.codes.join(' ')).toMatch(/SQLITE_(READONLY|IOERR|CANTOPEN|PERM)/);
    for (const a of r.after) expect(a.text).toMatch(GRADED);
  });

  it('locked database: the answer fails clearly within the deadline on both platforms, and works once the lock is gone', async () => {
    let released: Promise<void> = Promise.resolve();
    const r = await underFault(
      `Locked database (BEGIN EXCLUSIVE held ${LOCK_MS / 1000} s, busy timeout 1 s)`,
      () => {
        const lock = lockDatabase(dbPath);
        released = new Promise((resolve) => setTimeout(() => resolve(lock.release()), LOCK_MS));
      },
      () => released,
      { oneByOne: true },
    );
    // Never a false confirmation: the 1 s busy timeout ends inside the 3 s deadline, so users on
    // both platforms get a clear error in time.
    expect(r.during.map((a) => a.platform).sort()).toEqual(['discord', 'slack']);
    for (const a of r.during) {
      expect(a.text).not.toMatch(GRADED);
      expect(a.text).toMatch(/try again/i);
      expect(a.ackMs).toBeLessThan(ACK_DEADLINE_MS);
    }
    expect(r.stored).toEqual([0, 0]);
    expect(r.codes.join(' ')).toMatch(/SQLITE_BUSY/);
    for (const a of r.after) expect(a.text).toMatch(GRADED);
  });

  it('leaves a sound database with every confirmed answer stored once', async () => {
    expect(await bot.stop()).toBe(0);
    const ledger = checkLedger(dbPath, acks, []);
    const diskLedger = checkLedger(diskDbPath, acksByDb.get(diskDbPath) ?? [], []);
    recordSection({
      id: 'faults',
      title: 'Disk and database faults',
      intro: 'One bot on a database in a 16 MB tmpfs. For each fault, a Discord user and a Slack user with an open question press an answer while the fault is on, then press it again once it is gone. Before a write fault the write-ahead log is checkpointed and truncated from outside, so the next write must grow a file.',
      columns: ['Fault', 'Platform', 'What the user saw during the fault', 'Time to answer', 'Logged', 'Same press after recovery'],
      rows,
      notes: [
        `After all faults: integrity_check ${diskLedger.integrity} (tmpfs database) and ${ledger.integrity} (disk database); ${diskLedger.quizAcksChecked + ledger.quizAcksChecked} confirmed answers checked, ${diskLedger.problems.length + ledger.problems.length} problems; answers stored during a fault: 0.`,
        'A lock wait blocks the whole bot, so the database connection gives up after 1 s (busy_timeout): well inside the 3 s deadline, users on both platforms get a clear error and nothing is recorded.',
      ],
    });
    expect(acksByDb.get(diskDbPath)).toHaveLength(2);
    expect(acks).toHaveLength(4);
    expect(ledger.problems).toEqual([]);
    expect(diskLedger.problems).toEqual([]);
  });
});
