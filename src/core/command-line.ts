import { BOOLEAN_WORDS, type CommandSpec } from './catalogue.js';
import { CATALOGUE } from './commands.js';

/**
 * Parses a typed command line against the catalogue, for the platforms where commands arrive as
 * text (Slack's `/quiz <sub> …`, the terminal chat). Options are positional in declared order or
 * named, as `name:value` or as the option's name followed by its value (`/settings timezone
 * Europe/Berlin`); a boolean option's name alone means yes (`weekly`); quotes group words; a `rest`
 * option takes the remaining text.
 */

export type ParsedLine =
  | { ok: true; spec: CommandSpec; options: Record<string, unknown> }
  /** `unknown`: no command of the catalogue starts this way. */
  | { ok: false; error: string; unknown?: true };

interface Token {
  text: string;
  /** Offset of the token in the line, for `rest` options. */
  start: number;
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  const re = /(\S*?)"((?:[^"\\]|\\.)*)"(\S*)|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const text = m[4] ?? `${m[1]}${m[2]!.replace(/\\(.)/g, '$1')}${m[3]}`;
    tokens.push({ text, start: m.index });
  }
  return tokens;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * The text of a `rest` option, with trailing `name:value` words of the command's other options
 * taken out into `options` (`/ask why is routing flaky? private:yes`).
 */
function restText(text: string, spec: CommandSpec, options: Record<string, unknown>): string {
  let rest = text.trim();
  for (;;) {
    const m = /\s([a-z][a-z0-9_-]*):(\S+)$/i.exec(rest);
    const o = m && spec.options.find((x) => x.name === m[1]!.toLowerCase() && !x.rest && x.type !== 'attachment');
    if (!m || !o || o.name in options) break;
    options[o.name] = m[2];
    rest = rest.slice(0, m.index).trimEnd();
  }
  return unquote(rest);
}

/** The longest catalogue key that the leading words spell, e.g. "quiz race" before "quiz". */
export function matchCommand(words: string[], catalogue: readonly CommandSpec[] = CATALOGUE): { spec: CommandSpec; used: number } | undefined {
  let best: { spec: CommandSpec; used: number } | undefined;
  for (const spec of catalogue) {
    const parts = spec.key.split(' ');
    if (parts.every((p, i) => words[i]?.toLowerCase() === p) && (!best || parts.length > best.used)) {
      best = { spec, used: parts.length };
    }
  }
  return best;
}

/**
 * `filesByPosition`: a file option takes its place in the order like any other (the terminal
 * names files by path: `/quiz-admin import ./bank.gift`). Without it a file comes from the
 * platform (Slack's form or shared file) and typed words skip it.
 */
export function parseCommandLine(line: string, catalogue: readonly CommandSpec[] = CATALOGUE, opts: { filesByPosition?: boolean } = {}): ParsedLine {
  const trimmed = line.trim().replace(/^\//, '');
  const tokens = tokenize(trimmed);
  if (tokens.length === 0) return { ok: false, error: 'Type a command, e.g. /help.' };
  const match = matchCommand(
    tokens.map((t) => t.text),
    catalogue,
  );
  if (!match) {
    const first = tokens[0]!.text;
    // "/quiz-admin" alone, or with a slip in its subcommand: say which subcommands there are.
    const subcommands = [...new Set(catalogue.filter((c) => c.key.startsWith(`${first.toLowerCase()} `)).map((c) => c.key.split(' ')[1]!))];
    if (subcommands.length === 0) return { ok: false, error: `Unknown command /${first}. Try /help.`, unknown: true };
    const which = tokens[1] ? `/${first} has no subcommand "${tokens[1].text}".` : `/${first} needs a subcommand.`;
    return { ok: false, error: `${which} Try one of: ${subcommands.join(', ')} (e.g. /${first} ${subcommands[0]}).`, unknown: true };
  }
  const { spec, used } = match;
  const options: Record<string, unknown> = {};
  const positional = spec.options.filter((o) => opts.filesByPosition || o.type !== 'attachment');
  let next = 0;
  for (let t = used; t < tokens.length; t++) {
    const token = tokens[t]!;
    const named = /^([a-z][a-z0-9_-]*):(.*)$/is.exec(token.text);
    const namedSpec = named ? spec.options.find((o) => o.name === named[1]!.toLowerCase()) : undefined;
    if (named && namedSpec) {
      if (namedSpec.rest) {
        options[namedSpec.name] = restText(trimmed.slice(token.start + named[1]!.length + 1), spec, options);
        break;
      }
      options[namedSpec.name] = named[2];
      continue;
    }
    while (next < positional.length && positional[next]!.name in options) next++;
    // "timezone Europe/Berlin": an option's name, then its value. Not where free text is expected
    // (`/ask private companies…` asks about private companies).
    const byName = positional[next]?.rest ? undefined : positional.find((x) => !x.rest && x.name === token.text.toLowerCase() && !(x.name in options));
    // A boolean option's name alone means yes (`weekly`); followed by yes/no/… it takes that.
    if (byName?.type === 'boolean') {
      const value = tokens[t + 1]?.text.toLowerCase();
      const isWord = value !== undefined && [...BOOLEAN_WORDS.yes, ...BOOLEAN_WORDS.no].includes(value);
      options[byName.name] = isWord ? tokens[++t]!.text : true;
      continue;
    }
    if (byName && t + 1 < tokens.length) {
      options[byName.name] = tokens[++t]!.text;
      continue;
    }
    const o = positional[next];
    if (!o) {
      return { ok: false, error: `Too many values for /${spec.key}: "${token.text}" is not expected.` };
    }
    if (o.rest) {
      options[o.name] = restText(trimmed.slice(token.start), spec, options);
      break;
    }
    options[o.name] = token.text;
    next++;
  }
  return { ok: true, spec, options };
}
