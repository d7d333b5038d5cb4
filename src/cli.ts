#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { count, eq, isNull, and } from 'drizzle-orm';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DatabaseOpenError, openDatabase } from './db/connection.js';
import { banks, questions } from './db/schema.js';
import { ContentError } from './core/content/issues.js';
import { createLogger } from './logger.js';
import { startPlatforms } from './main.js';

/** Errors that are the user's to fix: one clear message, no stack trace. */
function isExpected(err: unknown): err is Error {
  return err instanceof ConfigError || err instanceof DatabaseOpenError || err instanceof ContentError || err instanceof CommanderError;
}

function config(): Config {
  return loadConfig();
}

function withApp<T>(fn: (app: App) => T | Promise<T>, options: { prettyLogs?: boolean; level?: string } = {}): Promise<T> {
  const c = config();
  const logger = createLogger(options.level ?? c.LOG_LEVEL, { prettyOutput: options.prettyLogs });
  const app = createApp(c, logger);
  return Promise.resolve(fn(app)).finally(() => app.close());
}

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function buildCli(): Command {
  const program = new Command('quizbot')
    .description('A quiz bot that teaches Mixture-of-Experts models on Slack, Discord and the terminal.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start', { isDefault: true })
    .description('run the bot on every configured platform (the terminal chat when none is)')
    .action(async () => {
      await startPlatforms(config());
    });

  program
    .command('chat')
    .description('open the terminal chat (also works with piped input, one message per line)')
    .action(async () => {
      await startPlatforms(config(), { forceTerminal: true });
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(() => {
      const c = config();
      openDatabase(c.DATABASE_PATH).$client.close();
      console.log(`Database at ${c.DATABASE_PATH} is up to date.`);
    });

  program
    .command('lessons')
    .description('list the lessons and their sections')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withApp((app) => {
        const list = app.services.lessons.all().map((l) => ({
          id: l.id,
          title: l.title,
          summary: l.summary,
          minutes: l.minutes,
          tags: l.tags,
          sections: l.sections.map((s) => ({ slug: s.slug, title: s.title })),
        }));
        if (opts.json) return printJson(list);
        for (const l of list) console.log(`${l.id}  ${l.title} (${l.minutes} min)\n  ${l.sections.map((s) => s.title).join(' · ')}`);
      }, { level: 'warn' }),
    );

  program
    .command('banks')
    .description('list the question banks with their question counts')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withApp((app) => {
        const rows = app.services.db
          .select({ id: banks.id, title: banks.title, origin: banks.origin, lesson: banks.lessonId, questions: count(questions.id) })
          .from(banks)
          .leftJoin(questions, and(eq(questions.bankId, banks.id), isNull(questions.retiredAt)))
          .where(isNull(banks.retiredAt))
          .groupBy(banks.id)
          .orderBy(banks.id)
          .all();
        if (opts.json) return printJson(rows);
        for (const b of rows) console.log(`${b.id}  ${b.title}: ${b.questions} questions (${b.origin})`);
      }, { level: 'warn' }),
    );

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isExpected(err)) {
      console.error(err.message);
      return 1;
    }
    console.error(`Unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
