import { resolve } from 'node:path';
import type { Config } from './config.js';
import { startCheckpointer, FALLBACK_AUTOCHECKPOINT_PAGES, type Checkpointer } from './db/checkpointer.js';
import { openDatabase, type Db } from './db/connection.js';
import { contentFingerprint, storedFingerprint, storeFingerprint } from './core/content/fingerprint.js';
import { loadContent, type LoadedContent } from './core/content/load.js';
import { syncContent, type ContentSyncReport } from './core/content/sync.js';
import { createDispatcher } from './core/index.js';
import type { Dispatcher } from './core/dispatcher.js';
import { LessonLibrary, ManualClock, Outbox, systemClock, type Clock, type Services } from './core/services.js';
import { startQuizBackground } from './core/quiz/index.js';
import { tickRaces } from './core/quiz/race.js';
import { dailyScheduler } from './core/quiz/schedule.js';
import { quizStore } from './core/quiz/store.js';
import { telemetry } from './core/telemetry.js';
import type { Logger } from './logger.js';

export interface App {
  services: Services;
  dispatcher: Dispatcher;
  /** What the start-up sync changed; undefined when the content was unchanged since the last one. */
  contentReport: ContentSyncReport | undefined;
  /** Starts the running bot's background work: race rounds, daily posts, database checkpoints. */
  startBackground(): void;
  /** Runs what is due now (after a manual clock moved). */
  runDue(): void;
  /**
   * After a manual clock moved forward from `since`: runs, in time order, everything that fell due
   * in between, each at its own instant (race rounds as they end, daily posts at their minute).
   */
  runDueSince(since: Date): Promise<void>;
  /** Adds work that falls due on minute boundaries (scheduled backups) to what runDueSince runs. */
  addMinuteTimer(timer: MinuteTimer): void;
  close(): void;
}

/** Work a simulated clock runs at each minute it moves over. */
export interface MinuteTimer {
  runDue(at: Date): Promise<unknown>;
}

/**
 * While the bot runs, a worker thread checkpoints its database, and the connection falls back to
 * checkpointing by itself only past a large log. Failures are counted every time and logged when
 * the reason changes (a full disk fails ten times a second).
 */
function backgroundCheckpoints(db: Db, logger: Logger): Checkpointer {
  db.$client.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  let lastFailure = '';
  return startCheckpointer(db.$client.name, (error) => {
    telemetry.checkpointFailures++;
    if (error.message !== lastFailure) logger.warn({ error }, 'background checkpoint failed');
    lastFailure = error.message;
  });
}

/** See App.runDueSince. */
async function runDueBetween(services: Services, from: Date, to: Date, timers: readonly MinuteTimer[] = []): Promise<void> {
  const scheduler = dailyScheduler(services);
  const store = quizStore(services);
  const nextRoundEnd = store.q<[number], { at: number | null }>("SELECT min(round_ends_at) at FROM races WHERE status = 'running' AND round_ends_at > ?");
  const schedules = scheduler.hasSchedules() || timers.length > 0;
  const end = to.getTime();
  let t = from.getTime();
  tickRaces(services, from);
  for (;;) {
    const minute = schedules ? (Math.floor(t / 60_000) + 1) * 60_000 : Infinity;
    const round = nextRoundEnd.get(t)?.at ?? Infinity;
    const at = Math.min(minute, round);
    if (at > end) break;
    if (services.clock instanceof ManualClock) services.clock.set(new Date(at));
    if (at === minute) {
      await scheduler.fireDue(new Date(at));
      for (const timer of timers) await timer.runDue(new Date(at));
    }
    tickRaces(services, new Date(at));
    // What this instant posted is printed before what comes later.
    await services.outbox.settled();
    t = at;
  }
  if (services.clock instanceof ManualClock) services.clock.set(to);
  tickRaces(services, to);
}

/**
 * Builds the bot's core from its configuration: database (migrated), content (validated and
 * synced, or nothing starts), services and the dispatcher. Platforms attach to the result.
 */
export function createApp(config: Config, logger: Logger, options: { clock?: Clock } = {}): App {
  const dir = resolve(config.CONTENT_DIR);
  const fingerprint = contentFingerprint(dir);
  const db: Db = openDatabase(config.DATABASE_PATH);
  let content: LoadedContent;
  let contentReport: ContentSyncReport | undefined;
  try {
    if (storedFingerprint(db) === fingerprint) {
      // The same files were validated and synced before: only the lessons are read again.
      content = loadContent(dir, { banks: false });
    } else {
      content = loadContent(dir);
      contentReport = syncContent(db, content);
      storeFingerprint(db, fingerprint);
    }
  } catch (err) {
    db.$client.close();
    throw err;
  }
  const services: Services = {
    config,
    db,
    logger,
    clock: options.clock ?? (config.QUIZBOT_CLOCK ? new ManualClock(new Date(config.QUIZBOT_CLOCK)) : systemClock),
    lessons: new LessonLibrary(content.lessons),
    outbox: new Outbox(logger),
  };
  logger.debug({ content: contentReport ?? 'unchanged' }, 'content synced');
  const dispatcher = createDispatcher(services);
  const minuteTimers: MinuteTimer[] = [];
  let stopBackground: (() => void) | undefined;
  return {
    services,
    dispatcher,
    contentReport,
    startBackground: () => {
      if (stopBackground) return;
      const stopQuiz = startQuizBackground(services);
      const checkpoints = db.$client.memory ? undefined : backgroundCheckpoints(db, logger);
      stopBackground = () => {
        stopQuiz();
        checkpoints?.stop();
      };
    },
    runDue: () => tickRaces(services, services.clock.now()),
    runDueSince: (since) => runDueBetween(services, since, services.clock.now(), minuteTimers),
    addMinuteTimer: (timer) => void minuteTimers.push(timer),
    close: () => {
      stopBackground?.();
      stopBackground = undefined;
      if (db.$client.open) db.$client.close();
    },
  };
}
