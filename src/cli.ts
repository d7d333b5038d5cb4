#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { count, eq, isNull, and } from 'drizzle-orm';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DatabaseOpenError, openDatabase } from './db/connection.js';
import { banks, questions } from './db/schema.js';
import { findCommand } from './core/commands.js';
import { ContentError } from './core/content/issues.js';
import { createLogger } from './logger.js';
import { BackupError } from './ops/backup.js';
import { backupCommand, restoreCommand } from './ops/backup-cli.js';
import { LockError } from './ops/lock.js';
import { startPlatforms } from './main.js';
import { EXPORT_FORMATS, type ExportFormat } from './core/export/index.js';
import { IMPORT_FORMATS } from './core/import/types.js';
import { CliUsageError, EXIT_SKIPPED, ImportRejected, runExport, runImport, type ImportCliOptions } from './import-cli.js';
import { registerMoeCommands } from './moe-cli.js';
import { registerSrsCommands } from './srs-cli.js';
import { registerTenantCommands } from './tenant-cli.js';
import { UserError } from './core/errors.js';
import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { analyseQuestions, ANALYSIS_RULES, CSV_COLUMNS, questionRecord, sortQuestions, STATS_SORTS, type StatsSort } from './core/quiz/question-analysis.js';
import { parseTenant, type Tenant } from './core/tenant.js';

/** Errors that are the user's to fix: one clear message, no stack trace. */
function isExpected(err: unknown): err is Error {
  return (
    err instanceof ConfigError ||
    err instanceof DatabaseOpenError ||
    err instanceof ContentError ||
    err instanceof CommanderError ||
    err instanceof BackupError ||
    err instanceof LockError ||
    err instanceof UserError
  );
}

/** The longest question /ask takes, from the catalogue. */
const MAX_QUESTION = findCommand('ask')?.options.find((o) => o.name === 'question')?.maxLength ?? 500;

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
    .command('backup')
    .description('take an online backup of the database into <file> (consistent while the bot runs)')
    .argument('<file>', 'the backup file to write')
    .action(async (file: string) => {
      console.log(await backupCommand(config(), file));
    });

  program
    .command('restore')
    .description('replace the database with a backup (the bot must be stopped; the backup is checked first)')
    .argument('<file>', 'the backup file to restore')
    .action(async (file: string) => {
      console.log(await restoreCommand(config(), file));
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
          .select({ id: banks.id, title: banks.title, origin: banks.origin, tenant: banks.tenant, lesson: banks.lessonId, questions: count(questions.id) })
          .from(banks)
          .leftJoin(questions, and(eq(questions.bankId, banks.id), isNull(questions.retiredAt)))
          .where(isNull(banks.retiredAt))
          .groupBy(banks.id)
          .orderBy(banks.id)
          .all();
        if (opts.json) return printJson(rows);
        for (const b of rows) console.log(`${b.id}  ${b.title}: ${b.questions} questions (${b.origin}${b.tenant ? `, ${b.tenant} only` : ''})`);
      }, { level: 'warn' }),
    );

  program
    .command('ask')
    .description('answer a question about MoE from the lessons, with citations (uses LLM_BASE_URL when set)')
    .argument('<question...>', 'the question (quotes optional)')
    .option('--json', 'print { abstained, answer, citations } as JSON')
    .action((words: string[], opts: { json?: boolean }, cmd: Command) => {
      const question = words.join(' ').trim();
      if (!question) cmd.error('error: the question is empty');
      if (question.length > MAX_QUESTION) cmd.error(`error: the question is longer than ${MAX_QUESTION} characters`);
      return withApp(async (app) => {
        const { ask } = await import('./core/ask/ask.js');
        const answer = await ask(app.services, question);
        const citations = answer.citations.map(({ lessonId, lessonTitle, section, quote }) => ({ lessonId, lessonTitle, section, quote }));
        if (opts.json) return printJson({ abstained: answer.abstained, answer: answer.answer, citations });
        console.log(answer.answer);
        if (citations.length) console.log(['', 'Sources:', ...citations.map((c, i) => `[${i + 1}] ${c.lessonTitle} — ${c.section} (${c.lessonId})`)].join('\n'));
      }, { level: 'warn' });
    });

  const discord = program.command('discord').description('Discord administration');
  discord
    .command('register')
    .description('register (bulk overwrite) the slash commands: in DISCORD_GUILD_ID when set, otherwise globally')
    .action(async () => {
      // Loaded on demand: the rest of the CLI never pays for discord.js.
      const { registerSlashCommands } = await import('./platforms/discord/register.js');
      const c = config();
      const { count, scope } = await registerSlashCommands(c);
      console.log(`Registered ${count} slash commands ${scope === 'guild' ? `in server ${c.DISCORD_GUILD_ID}` : 'globally'}.`);
    });

  program
    .command('import')
    .description('import a question bank from a file (YAML, JSON, CSV/TSV, GIFT, Aiken, Anki text, Red-DiscordBot trivia, Open Trivia DB): exit 0 all imported, 3 some questions skipped (listed) and the rest imported, 1 nothing importable (or --strict and any skipped), 2 usage')
    .argument('<file>', 'the file to import')
    .option('--bank <id>', 'target bank id (default: the file\'s own id, or its name)')
    .option('--lesson <id>', 'default source lesson of the bank')
    .addOption(new Option('--format <format>', 'file format (default: from the name and content)').choices(IMPORT_FORMATS))
    .option('--dry-run', 'show what would change and write nothing')
    .option('--tenant <platform:server>', 'the bank belongs to this server or workspace only (default: every one learns from it)')
    .option('--strict', 'refuse the whole file when any question would be skipped (nothing changes)')
    .option('--json', 'print one JSON object: bank, format, added, changed, unchanged, retired, skipped, applied')
    .action((file: string, opts: ImportCliOptions & { json?: boolean }, cmd: Command) =>
      withApp(async (app) => {
        let outcome;
        try {
          outcome = await runImport(app, file, opts);
        } catch (err) {
          if (err instanceof CliUsageError) cmd.error(`error: ${err.message}`);
          // Scripts read the report on stdout; the problems still go to stderr.
          if (err instanceof ImportRejected && opts.json && err.report) printJson(err.report);
          throw err;
        }
        if (opts.json) printJson(outcome.report);
        else console.log(outcome.lines.join('\n'));
        if (outcome.report.skipped.length) throw new CliExit(EXIT_SKIPPED);
      }, { level: 'warn' }),
    );

  program
    .command('export')
    .description('export a question bank (to stdout, or --out); questions a format cannot hold are listed on stderr')
    .argument('<bank>', 'the bank id (see: quizbot banks)')
    .addOption(new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('yaml'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action((bank: string, opts: { format: ExportFormat; out?: string }, cmd: Command) =>
      withApp((app) => {
        try {
          const { text, notes } = runExport(app, bank, opts.format, opts.out);
          if (text !== undefined) process.stdout.write(text);
          for (const n of notes) console.error(n);
        } catch (err) {
          if (err instanceof CliUsageError) cmd.error(`error: ${err.message}`);
          throw err;
        }
      }, { level: 'warn' }),
    );

  const stats = program.command('stats').description('figures for admins');
  stats
    .command('questions')
    .description(
      "question analysis: per question, learners, share right (facility), discrimination (point-biserial r with each learner's share right on the other questions), wrong choices picked and flags; counts each learner's first scored answer (quizzes and scored races, no practice or review rounds)",
    )
    .option('--tenant <platform:server>', "only questions this server or workspace sees and answers given there (default: every question and answer)")
    .addOption(new Option('--sort <order>', 'order of the questions').choices(STATS_SORTS).default('attempts'))
    .option('--flagged', 'only the flagged questions')
    .option('--json', 'print JSON: the scope, the thresholds and one object per question')
    .option('--csv', 'print CSV: one row per question')
    .option('--chart <file>', 'also write a PNG chart of the flagged questions (the first 10 in this order) to <file>')
    .action((opts: { tenant?: string; sort: StatsSort; flagged?: boolean; json?: boolean; csv?: boolean; chart?: string }, cmd: Command) => {
      if (opts.json && opts.csv) cmd.error('error: choose --json or --csv, not both');
      let tenant: Tenant | null = null;
      if (opts.tenant !== undefined) {
        tenant = parseTenant(opts.tenant) ?? null;
        if (!tenant) cmd.error(`error: --tenant must look like discord:<server id>, slack:<team id> or terminal:local, not "${opts.tenant}"`);
      }
      return withApp(async (app) => {
        const { quizStore } = await import('./core/quiz/store.js');
        const analysis = analyseQuestions(quizStore(app.services), tenant);
        const all = sortQuestions(analysis.questions, opts.sort);
        const list = opts.flagged ? all.filter((f) => f.flags.length) : all;
        if (opts.chart) {
          const { renderAnalysisChart } = await import('./core/quiz/analysis-chart.js');
          const flagged = all.filter((f) => f.flags.length).slice(0, 10);
          writeFileSync(opts.chart, await renderAnalysisChart(flagged, `${tenant ?? 'every server'}: ${flagged.length} of ${all.filter((f) => f.flags.length).length} flagged`));
          console.error(`Chart of ${flagged.length} flagged question${flagged.length === 1 ? '' : 's'} written to ${opts.chart}.`);
        }
        const records = list.map(questionRecord);
        if (opts.json) return printJson({ tenant, learners: analysis.learners, questions: records.length, sort: opts.sort, flaggedOnly: opts.flagged === true, rules: ANALYSIS_RULES, items: records });
        if (opts.csv) return void process.stdout.write(stringify(records.map((r) => ({ ...r, flags: r.flags.join('; '), wrongPicks: r.wrongPicks.map((w) => `${w.choice}=${w.picked}`).join('; ') })), { header: true, columns: [...CSV_COLUMNS] }));
        if (records.length === 0) return console.log(opts.flagged ? 'No question is flagged.' : 'No scored answers yet.');
        for (const r of records) {
          const d = r.discrimination === null ? 'n/a' : r.discrimination.toFixed(2);
          console.log(`${r.id}  ${Math.round(r.facility * 100)}% right of ${r.attempts}  discrimination ${d}${r.flags.length ? `  [${r.flags.join(', ')}]` : ''}\n  ${r.prompt}${r.wrongPicks.length ? `\n  wrong picks: ${r.wrongPicks.map((w) => `"${w.choice}" ${w.picked}`).join(', ')}` : ''}`);
        }
        console.log(`\n${records.length} question${records.length === 1 ? '' : 's'}${opts.flagged ? ' flagged' : ''}, ${analysis.learners} learner${analysis.learners === 1 ? '' : 's'}. ${ANALYSIS_RULES.counted} ${ANALYSIS_RULES.discrimination}`);
      }, { level: 'warn' });
    });

  registerMoeCommands(program, config);
  registerSrsCommands(program, withApp);
  registerTenantCommands(program, config);

  return program;
}

/** Ends a command with this exit code after it printed what it had to say. */
class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CliExit) return err.code;
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
