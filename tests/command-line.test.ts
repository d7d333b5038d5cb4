import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../src/core/catalogue.js';
import { parseCommandLine } from '../src/core/command-line.js';
import { typedCommand } from '../src/core/catalogue.js';

const catalogue: CommandSpec[] = [
  { key: 'quiz', description: '', options: [{ name: 'lesson', description: '', type: 'string' }] },
  {
    key: 'quiz race',
    description: '',
    options: [
      { name: 'rounds', description: '', type: 'integer' },
      { name: 'lesson', description: '', type: 'string' },
    ],
  },
  {
    key: 'ask',
    description: '',
    options: [
      { name: 'question', description: '', type: 'string', required: true, rest: true },
      { name: 'private', description: '', type: 'boolean' },
    ],
  },
];

describe('command line parser', () => {
  it('matches the longest command and fills options in order', () => {
    expect(parseCommandLine('/quiz race 5 moe-basics', catalogue)).toMatchObject({ ok: true, spec: { key: 'quiz race' }, options: { rounds: '5', lesson: 'moe-basics' } });
    expect(parseCommandLine('quiz lesson:moe', catalogue)).toMatchObject({ ok: true, spec: { key: 'quiz' }, options: { lesson: 'moe' } });
  });

  it('takes named options in any order and quoted values', () => {
    expect(parseCommandLine('/quiz race lesson:"a b" 3', catalogue)).toMatchObject({ ok: true, options: { lesson: 'a b', rounds: '3' } });
  });

  it("takes an option's name followed by its value, as people type it", () => {
    expect(parseCommandLine('/quiz race lesson moe-basics 3', catalogue)).toMatchObject({ ok: true, options: { lesson: 'moe-basics', rounds: '3' } });
    expect(parseCommandLine('/quiz race rounds 4', catalogue)).toMatchObject({ ok: true, options: { rounds: '4' } });
    // A value that is an option's name, with nothing after it, is still a value.
    expect(parseCommandLine('/quiz race 2 lesson', catalogue)).toMatchObject({ ok: true, options: { rounds: '2', lesson: 'lesson' } });
    // Free text stays free text: this asks about private companies.
    expect(parseCommandLine('/ask private companies use MoE?', catalogue)).toMatchObject({ ok: true, options: { question: 'private companies use MoE?' } });
    expect(parseCommandLine('/settings timezone Europe/Berlin')).toMatchObject({ ok: true, spec: { key: 'settings' }, options: { timezone: 'Europe/Berlin' } });
  });

  it('gives a rest option the remaining text verbatim', () => {
    expect(parseCommandLine('/ask why does my MoE: answer "differ"?', catalogue)).toMatchObject({ ok: true, options: { question: 'why does my MoE: answer "differ"?' } });
    expect(parseCommandLine('/ask question:what is routing', catalogue)).toMatchObject({ ok: true, options: { question: 'what is routing' } });
  });

  it('takes trailing named options out of a rest option', () => {
    expect(parseCommandLine('/ask why does routing: matter? private:yes', catalogue)).toMatchObject({ ok: true, options: { question: 'why does routing: matter?', private: 'yes' } });
    expect(parseCommandLine('/ask private:yes why?', catalogue)).toMatchObject({ ok: true, options: { question: 'why?', private: 'yes' } });
    expect(parseCommandLine('/ask what is top-k:2 routing', catalogue)).toMatchObject({ ok: true, options: { question: 'what is top-k:2 routing' } });
  });

  it("takes a boolean option's name alone as yes, or followed by its value", () => {
    expect(parseCommandLine('/quiz-admin schedule 09:30 Europe/Berlin general weekly')).toMatchObject({ ok: true, options: { time: '09:30', timezone: 'Europe/Berlin', channel: 'general', weekly: true } });
    expect(parseCommandLine('/quiz-admin schedule 09:30 weekly No bank team')).toMatchObject({ ok: true, options: { time: '09:30', weekly: 'No', bank: 'team' } });
    expect(parseCommandLine('/quiz-admin schedule 09:30 weekly bank team')).toMatchObject({ ok: true, options: { time: '09:30', weekly: true, bank: 'team' } });
  });

  it('explains unknown commands and extra values', () => {
    expect(parseCommandLine('/nope', catalogue)).toEqual({ ok: false, error: 'Unknown command /nope. Try /help.', unknown: true });
    // A command that exists only with a subcommand names its subcommands.
    expect(parseCommandLine('/group')).toEqual({ ok: false, error: '/group needs a subcommand. Try one of: create, join, leave, list (e.g. /group create).', unknown: true });
    const admin = parseCommandLine('/quiz-admin schedulez 09:00');
    expect(admin.ok).toBe(false);
    expect(!admin.ok && admin.error).toMatch(/^\/quiz-admin has no subcommand "schedulez"\. Try one of: .*\bschedule\b.*\bstats\b/);
    expect(parseCommandLine('/quiz race 1 two three', catalogue)).toEqual({ ok: false, error: 'Too many values for /quiz race: "three" is not expected.' });
  });
});

describe('commands as each platform types them', () => {
  it('puts everything under /quiz on Slack and gives the bare quiz a subcommand on Discord', async () => {
    expect(['quiz', 'quiz race', 'leaderboard', 'quiz-admin stats'].map((k) => typedCommand(k, 'slack'))).toEqual(['/quiz', '/quiz race', '/quiz leaderboard', '/quiz admin stats']);
    expect(['quiz', 'quiz race', 'help', 'group create'].map((k) => typedCommand(k, 'discord'))).toEqual(['/quiz start', '/quiz race', '/help', '/group create']);
    expect(typedCommand('quiz', 'terminal')).toBe('/quiz');
  });
});
