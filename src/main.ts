import { resolve } from 'node:path';
import { createApp } from './app.js';
import { discordConfigured, slackConfigured, type Config } from './config.js';
import { createLogger } from './logger.js';
import { TerminalChat } from './platforms/terminal/chat.js';

/**
 * Composition root: config → database → content → core → platforms. Starts every configured
 * platform; with none configured (or with forceTerminal) the terminal chat runs in the foreground.
 */
export async function startPlatforms(config: Config, options: { forceTerminal?: boolean } = {}): Promise<void> {
  const platforms = [discordConfigured(config) && 'discord', slackConfigured(config) && 'slack'].filter(Boolean);
  const terminal = options.forceTerminal || platforms.length === 0;
  const interactive = terminal && Boolean(process.stdin.isTTY);
  const logger = createLogger(terminal && !process.env.LOG_LEVEL ? 'warn' : config.LOG_LEVEL, { prettyOutput: terminal });
  const app = createApp(config, logger);

  if (!terminal) {
    // The Discord and Slack adapters attach here.
    logger.error({ platforms }, 'platform adapters are not available in this build');
    app.close();
    process.exitCode = 1;
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
  try {
    await chat.run();
  } finally {
    app.close();
  }
}
