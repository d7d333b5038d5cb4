import { typedCommand } from '../../core/catalogue.js';
import { matchCommand, parseCommandLine, type ParsedLine } from '../../core/command-line.js';
import { CATALOGUE } from '../../core/commands.js';

/**
 * Slack has one slash command, `/quiz`; its text names the catalogue command. This is the one
 * place that maps that text to the catalogue:
 * - `quiz <text>` first, when it spells a subcommand: `/quiz race 5` → 'quiz race';
 * - then `<text>` alone: `/quiz leaderboard week` → 'leaderboard', `/quiz help` → 'help';
 * - `admin …` → 'quiz-admin …';
 * - anything else is the daily quiz with options: `/quiz`, `/quiz lesson:moe-tradeoffs` → 'quiz'.
 */

const ADMIN_PREFIX = 'quiz-admin';

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

function adminCommands(): string {
  return CATALOGUE.filter((c) => c.key.startsWith(ADMIN_PREFIX + ' '))
    .map((c) => c.key.slice(ADMIN_PREFIX.length + 1))
    .join(', ');
}

/** `help race` → `help "quiz race"`, `help admin stats` → `help "quiz-admin stats"`: help takes catalogue keys. */
function helpLine(rest: string): string {
  const asked = words(rest.toLowerCase().replace(/["\\]/g, ''));
  if (asked[0] === 'admin') asked.splice(0, 1, ADMIN_PREFIX);
  const key = asked.join(' ');
  const known = CATALOGUE.some((c) => c.key === key || c.key.startsWith(key + ' '));
  return `help "${!known && matchCommand(['quiz', ...asked]) ? `quiz ${key}` : key}"`;
}

/** Parses the text after `/quiz` against the catalogue (options are validated by the core). */
export function parseSlackCommand(text: string): ParsedLine {
  const parsed = parseText(text);
  if (parsed.ok) return parsed;
  // The parser speaks in catalogue keys; say it the way it is typed on Slack.
  const error = parsed.error
    .replace(/^Too many values for \/([^:]+):/, (_, key: string) => `Too many values for ${typedCommand(key, 'slack')}:`)
    .replace('Try /help.', 'Try /quiz help.');
  return { ok: false, error };
}

function parseText(text: string): ParsedLine {
  const trimmed = text.trim();
  const given = words(trimmed);
  const first = given[0]?.toLowerCase();
  if (first === undefined) return parseCommandLine('quiz');
  if (first === 'admin') {
    const rest = trimmed.slice(first.length).trim();
    if (!rest) return { ok: false, error: `Admin commands: ${adminCommands()}. Example: /quiz admin stats` };
    const parsed = parseCommandLine(`${ADMIN_PREFIX} ${rest}`);
    if (!parsed.ok && parsed.unknown) {
      return { ok: false, error: `There is no admin command "${given[1]}". Admin commands: ${adminCommands()}.` };
    }
    return parsed;
  }
  if (first === 'help' && given.length > 1) return parseCommandLine(helpLine(trimmed.slice(first.length).trim()));
  const sub = matchCommand(['quiz', ...given]);
  if (sub && sub.used > 1) return parseCommandLine(`quiz ${trimmed}`);
  if (matchCommand(given)) return parseCommandLine(trimmed);
  return parseCommandLine(`quiz ${trimmed}`);
}
