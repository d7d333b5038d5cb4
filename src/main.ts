import { resolve } from 'node:path';
import { createApp, type App } from './app.js';
import { discordConfigured, slackConfigured, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { TerminalChat } from './platforms/terminal/chat.js';

/** A running platform connection. */
export interface PlatformHandle {
  name: string;
  stop(): Promise<void>;
}

type PlatformStarter = (app: App, logger: Logger) => Promise<PlatformHandle>;

/**
 * The platforms that connect when their credentials are set. Adapters are imported lazily, so
 * the terminal chat never loads discord.js or Bolt.
 */
function configuredPlatforms(config: Config): { name: string; start: PlatformStarter }[] {
  const list: { name: string; start: PlatformStarter }[] = [];
  if (discordConfigured(config)) {
    list.push({ name: 'discord', start: async (app, logger) => (await import('./platforms/discord/index.js')).startDiscord(app, logger) });
  }
  if (slackConfigured(config)) {
    list.push({ name: 'slack', start: async (app, logger) => (await import('./platforms/slack/index.js')).startSlack(app, logger) });
  }
  return list;
}

/**
 * Composition root: config → database → content → core → platforms. Starts every configured
 * platform; with none configured (or with forceTerminal) the terminal chat runs in the foreground.
 */
export async function startPlatforms(config: Config, options: { forceTerminal?: boolean } = {}): Promise<void> {
  const platforms = options.forceTerminal ? [] : configuredPlatforms(config);
  const terminal = platforms.length === 0;
  const interactive = terminal && Boolean(process.stdin.isTTY);
  const logger = createLogger(terminal && !process.env.LOG_LEVEL ? 'warn' : config.LOG_LEVEL, { prettyOutput: terminal });
  const app = createApp(config, logger);

  if (!terminal) {
    const handles: PlatformHandle[] = [];
    try {
      for (const p of platforms) handles.push(await p.start(app, logger));
    } catch (err) {
      await Promise.allSettled(handles.map((h) => h.stop()));
      app.close();
      throw err;
    }
    app.startBackground();
    logger.info({ platforms: handles.map((h) => h.name) }, 'bot started');
    await new Promise<void>((resolveStop) => {
      const stop = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        await Promise.allSettled(handles.map((h) => h.stop()));
        app.close();
        resolveStop();
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
    return;
  }
  if (!options.forceTerminal) {
    process.stderr.write('No Discord or Slack credentials set (DISCORD_TOKEN, SLACK_BOT_TOKEN): opening the terminal chat. Type /help.\n');
  }
  const chat = new TerminalChat(app, {
    input: process.stdin,
    output: process.stdout,
    interactive,
    imageDir: resolve('data', 'images'),
  });
  app.startBackground();
  try {
    await chat.run();
  } finally {
    app.close();
  }
}
