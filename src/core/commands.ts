import type { CommandSpec } from './catalogue.js';

/**
 * The one command catalogue. Every platform and /help read it; the dispatcher checks options and
 * admin rights against it. Handlers live with their capability (see handlers.ts).
 */
export const CATALOGUE: readonly CommandSpec[] = [
  {
    key: 'help',
    description: 'List the commands, or explain one.',
    options: [{ name: 'command', description: 'A command to explain, e.g. quiz', type: 'string', maxLength: 60 }],
  },
  {
    key: 'lessons',
    description: 'List the lessons.',
    options: [],
  },
  {
    key: 'lesson',
    description: 'Read a lesson, section by section.',
    options: [
      { name: 'id', description: 'The lesson to read', type: 'string', required: true, autocomplete: 'lesson', maxLength: 64 },
      { name: 'section', description: 'Start at this section number', type: 'integer', min: 1, max: 100 },
    ],
  },
];

const byKey = new Map(CATALOGUE.map((c) => [c.key, c]));

export function findCommand(key: string): CommandSpec | undefined {
  return byKey.get(key);
}
