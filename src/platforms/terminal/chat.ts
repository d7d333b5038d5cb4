import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { App } from '../../app.js';
import type { AttachmentInput } from '../../core/catalogue.js';
import { parseCommandLine } from '../../core/command-line.js';
import { UserError } from '../../core/errors.js';
import type { Actor, Interaction, Post, Reply } from '../../core/interaction.js';
import { ManualClock } from '../../core/services.js';
import { renderReply, type Pressable } from './render.js';

export interface TerminalChatOptions {
  input: Readable;
  output: Writable;
  /** Prompt and colours: on for a person at a TTY, off for piped input. */
  interactive: boolean;
  /** Where images (heatmaps, charts) are written. */
  imageDir: string;
}

const SERVER = 'local';
/** Files larger than the import limit are refused before reading. */
const MAX_ATTACHMENT_BYTES = 5_000_000;

/** A file named by path, as an attachment the core reads when the command runs. */
function localFile(path: string): AttachmentInput {
  return {
    name: basename(path),
    load: async () => {
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch {
        throw new UserError(`Cannot read the file ${path}.`);
      }
      if (size > MAX_ATTACHMENT_BYTES) throw new UserError(`${path} is larger than ${MAX_ATTACHMENT_BYTES / 1_000_000} MB.`);
      return readFile(path).catch(() => {
        throw new UserError(`Cannot read the file ${path}.`);
      });
    },
  };
}

/** The terminal's own commands, for /help: usage, summary, and what /help <command> adds. */
const TERMINAL_COMMANDS: Record<string, { usage: string; summary: string; detail: string }> = {
  as: {
    usage: '/as <name>',
    summary: 'Play another user in this chat.',
    detail: 'Later lines are sent as that user. Users named in TERMINAL_ADMINS (default you,admin) may run admin commands.',
  },
  where: {
    usage: '/where <channel>',
    summary: 'Move to another channel.',
    detail: "Later lines are sent in that channel; posts to other channels print with the channel's name.",
  },
  clock: {
    usage: '/clock +1d | +2h | +30m | <ISO time>',
    summary: 'Move the simulated clock (QUIZBOT_CLOCK) and run what falls due.',
    detail: 'Daily posts, race rounds and scheduled backups in the time it moves over run in order. A simulated clock only moves with /clock.',
  },
  quit: {
    usage: '/quit',
    summary: 'Ends the chat (also /exit, or the end of piped input).',
    detail: 'Posts under way are printed first.',
  },
};

/**
 * The embedded chat: every line is a message. Commands start with '/', a number presses a button
 * of the last reply, other text answers the pending text question. `/as <name>` and
 * `/where <channel>` play other users and channels.
 */
export class TerminalChat {
  private user = 'you';
  private channel = 'general';
  private pressables: Pressable[] = [];
  private pendingInput: { actionId: string; label: string } | undefined;
  /** Set after "Type your answer" was pressed: the next line is the answer, whatever it looks like. */
  private awaitingText = false;
  private counter = 0;
  private readonly admins: Set<string>;
  private stopRequested = false;
  private stopReading?: () => void;

  constructor(
    private app: App,
    private options: TerminalChatOptions,
  ) {
    this.admins = new Set(app.services.config.TERMINAL_ADMINS.split(',').map((s) => s.trim()).filter(Boolean));
    app.services.outbox.register('terminal', async (post) => this.showPost(post));
  }

  private write(text: string): void {
    this.options.output.write(text + '\n');
  }

  private actor(): Actor {
    return { platform: 'terminal', userId: this.user, displayName: this.user, isAdmin: this.admins.has(this.user) };
  }

  private nextId(): string {
    return `t${process.pid}-${Date.now()}-${++this.counter}`;
  }

  private saveImage(reply: Reply): string | undefined {
    if (!reply.image) return undefined;
    mkdirSync(this.options.imageDir, { recursive: true });
    const path = resolve(join(this.options.imageDir, reply.image.filename.replace(/[^\w.-]/g, '_')));
    writeFileSync(path, reply.image.png);
    return path;
  }

  private show(reply: Reply): void {
    const { text, pressables } = renderReply(reply, this.options.interactive, this.saveImage(reply));
    this.write(text);
    this.write('');
    // As in a chat window, the last buttons shown stay pressable until others are shown: a reply
    // without buttons (a race's confirmation after its round was posted) leaves them in place.
    if (pressables.length) this.pressables = pressables;
    const inputs = pressables.filter((p) => p.kind === 'button' && p.component.input);
    this.pendingInput = undefined;
    this.awaitingText = false;
    // A single text question can be answered by typing, without pressing its button first.
    if (inputs.length === 1 && inputs[0]!.kind === 'button') {
      this.pendingInput = { actionId: inputs[0]!.component.actionId, label: inputs[0]!.component.input!.label };
    }
  }

  private async showPost(post: Post): Promise<void> {
    // An edit of a message already printed (a closed race round): printed text cannot change.
    if (post.updateOnly) return;
    if (post.place.channelId !== this.channel) {
      this.write(`(posted in #${post.place.channelId})`);
    }
    this.show(post.reply);
  }

  private async dispatch(i: Omit<Interaction, 'id' | 'actor' | 'place'> & Record<string, unknown>): Promise<void> {
    const interaction = { ...i, id: this.nextId(), actor: this.actor(), place: { serverId: SERVER, channelId: this.channel } } as Interaction;
    this.show(await this.app.dispatcher.handle(interaction));
  }

  /** /clock +1d | +3h | +30m | <ISO time>: moves a manual clock (QUIZBOT_CLOCK) and runs what is due. */
  private async moveClock(arg: string): Promise<void> {
    const clock = this.app.services.clock;
    if (!(clock instanceof ManualClock)) return this.write('The clock is real time. Start with QUIZBOT_CLOCK=<ISO time> to move it.');
    const since = clock.now();
    const rel = /^\+(\d+)([dhms])$/.exec(arg);
    if (rel) clock.advance(Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[rel[2] as 'd' | 'h' | 'm' | 's']);
    else if (arg && !Number.isNaN(Date.parse(arg))) clock.set(new Date(arg));
    else if (arg) return this.write('Usage: /clock +1d | +2h | +30m | 2026-12-01T09:00:00Z');
    this.write(`It is now ${clock.now().toISOString()}.`);
    // Daily posts and race rounds in the time moved over run in order, each at its own time.
    await this.app.runDueSince(since);
  }

  private meta(line: string): boolean {
    const m = /^\/(as|where|quit|exit)\b\s*(.*)$/i.exec(line);
    if (!m) return false;
    const verb = m[1]!.toLowerCase();
    const arg = m[2]!.trim().replace(/^#/, '');
    if (verb === 'quit' || verb === 'exit') return true;
    if (!/^[\w.-]{1,40}$/.test(arg)) {
      this.write(`Usage: /${verb} <${verb === 'as' ? 'name' : 'channel'}> (letters, digits, . _ -)`);
      return true;
    }
    // Buttons on screen stay pressable by the new user (public race buttons; someone else's
    // quiz buttons are refused by the core). Another channel shows other messages.
    if (verb === 'as') this.user = arg;
    else {
      this.channel = arg;
      this.pressables = [];
    }
    this.pendingInput = undefined;
    this.awaitingText = false;
    this.write(verb === 'as' ? `You are now ${arg}${this.admins.has(arg) ? ' (admin)' : ''}.` : `You are now in #${arg}.`);
    return true;
  }

  async handleLine(raw: string): Promise<'quit' | void> {
    const line = raw.trim();
    if (!line) return;
    if (/^\/(quit|exit)$/i.test(line)) return 'quit';
    const clock = /^\/clock\b\s*(.*)$/i.exec(line);
    if (clock) {
      await this.moveClock(clock[1]!.trim());
      await this.app.services.outbox.settled();
      return;
    }
    if (this.meta(line)) {
      // What /clock made due (a race round closing) is printed before the next line is read.
      await this.app.services.outbox.settled();
      return;
    }
    if (this.awaitingText && this.pendingInput && !line.startsWith('/')) {
      // After "Type your answer" the line is the answer: `4` is not button 4.
      const { actionId } = this.pendingInput;
      this.pendingInput = undefined;
      this.awaitingText = false;
      return this.dispatch({ kind: 'action', actionId, text: line });
    }
    if (/^\d+(\s*,\s*\d+)+$/.test(line) && this.pressables.length) {
      // Several options of one select menu: "1,3".
      const picked = line.split(',').map((n) => this.pressables[Number(n) - 1]);
      const first = picked[0];
      if (first?.kind !== 'option' || picked.some((p) => p?.kind !== 'option' || p.actionId !== first.actionId)) {
        return this.write('Pick several options of one menu, like 1,3.');
      }
      return this.dispatch({ kind: 'action', actionId: first.actionId, values: picked.map((p) => (p as { value: string }).value) });
    }
    if (/^\d+$/.test(line) && this.pressables.length) {
      const p = this.pressables[Number(line) - 1];
      if (!p) {
        this.write(`There is no button ${line}.`);
        return;
      }
      if (p.kind === 'link') return this.write(p.url);
      if (p.kind === 'option') return this.dispatch({ kind: 'action', actionId: p.actionId, values: [p.value] });
      if (p.component.input) {
        this.pendingInput = { actionId: p.component.actionId, label: p.component.input.label };
        this.awaitingText = true;
        return this.write(`${p.component.input.label}: type it on the next line.`);
      }
      return this.dispatch({ kind: 'action', actionId: p.component.actionId });
    }
    const help = /^\/help(?:\s+\/?(\S+))?$/i.exec(line);
    const own = help?.[1] ? TERMINAL_COMMANDS[help[1].toLowerCase() === 'exit' ? 'quit' : help[1].toLowerCase()] : undefined;
    if (own) return this.write(`${own.usage} — ${own.summary}\n${own.detail}\n`);
    if (help && !help[1]) {
      // The core's commands, then the terminal's own.
      await this.dispatch({ kind: 'command', command: 'help', options: {} });
      return this.write(['Terminal chat:', ...Object.values(TERMINAL_COMMANDS).map((c) => `${c.usage} — ${c.summary}`), ''].join('\n'));
    }
    if (line.startsWith('/')) {
      const parsed = parseCommandLine(line, undefined, { filesByPosition: true });
      if (!parsed.ok) return this.write(parsed.error);
      // Files are attached by path in the terminal, in order or by name: `/quiz-admin import
      // ./bank.csv` or `/quiz-admin import file:./bank.csv`. Like the
      // chat platforms, the core reads one only once the command may run.
      for (const o of parsed.spec.options) {
        const path = parsed.options[o.name];
        if (o.type === 'attachment' && typeof path === 'string') parsed.options[o.name] = localFile(path);
      }
      return this.dispatch({ kind: 'command', command: parsed.spec.key, options: parsed.options });
    }
    if (this.pendingInput) {
      const { actionId } = this.pendingInput;
      this.pendingInput = undefined;
      return this.dispatch({ kind: 'action', actionId, text: line });
    }
    this.write('Commands start with /. Type /help to see them, or a button number to press it.');
  }

  prompt(): string {
    return `${this.user}@#${this.channel}> `;
  }

  /** Stops reading input (shutdown): the line being handled finishes, later lines are not read. */
  stop(): void {
    this.stopRequested = true;
    this.stopReading?.();
  }

  /** Reads lines until end of input, /quit or stop(); each line is handled before the next is read. */
  async run(): Promise<void> {
    const rl = createInterface({ input: this.options.input, output: this.options.interactive ? this.options.output : undefined, terminal: this.options.interactive });
    this.stopReading = () => rl.close();
    if (this.stopRequested) rl.close();
    const setPrompt = () => {
      if (!this.options.interactive) return;
      rl.setPrompt(this.prompt());
      rl.prompt();
    };
    setPrompt();
    for await (const line of rl) {
      if (this.stopRequested) break;
      if ((await this.handleLine(line)) === 'quit' || this.stopRequested) break;
      setPrompt();
    }
    rl.close();
    // Posts under way (a race round closed by the last /clock) are printed before the chat ends.
    await this.app.services.outbox.settled();
    this.app.services.outbox.unregister('terminal');
  }
}
