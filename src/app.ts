import { resolve } from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Db } from './db/connection.js';
import { loadContent } from './core/content/load.js';
import { syncContent, type ContentSyncReport } from './core/content/sync.js';
import { createDispatcher } from './core/index.js';
import type { Dispatcher } from './core/dispatcher.js';
import { LessonLibrary, Outbox, systemClock, type Clock, type Services } from './core/services.js';
import type { Logger } from './logger.js';

export interface App {
  services: Services;
  dispatcher: Dispatcher;
  contentReport: ContentSyncReport;
  close(): void;
}

/**
 * Builds the bot's core from its configuration: database (migrated), content (validated and
 * synced, or nothing starts), services and the dispatcher. Platforms attach to the result.
 */
export function createApp(config: Config, logger: Logger, options: { clock?: Clock } = {}): App {
  const content = loadContent(resolve(config.CONTENT_DIR));
  const db: Db = openDatabase(config.DATABASE_PATH);
  let contentReport: ContentSyncReport;
  try {
    contentReport = syncContent(db, content);
  } catch (err) {
    db.$client.close();
    throw err;
  }
  const services: Services = {
    config,
    db,
    logger,
    clock: options.clock ?? systemClock,
    lessons: new LessonLibrary(content.lessons),
    outbox: new Outbox(logger),
  };
  logger.debug({ content: contentReport }, 'content synced');
  const dispatcher = createDispatcher(services);
  return {
    services,
    dispatcher,
    contentReport,
    close: () => {
      if (db.$client.open) db.$client.close();
    },
  };
}
