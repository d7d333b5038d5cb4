import type { CommandSpec } from './catalogue.js';
import { IMPORT_FORMATS } from './import/types.js';
import { STATS_SORTS } from './quiz/question-analysis.js';

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
  {
    key: 'ask',
    description: 'Ask about MoE: answered from the lessons, with the sections it comes from.',
    options: [
      { name: 'question', description: 'Your question, e.g. why does my MoE model answer differently when I rephrase?', type: 'string', required: true, maxLength: 500, rest: true },
      { name: 'private', description: 'Only you see the answer', type: 'boolean' },
    ],
    // A configured language model may phrase the answer: adapters acknowledge first.
    slow: true,
    visibility: 'public',
  },
  {
    key: 'quiz',
    description: "Take today's quiz: your due questions plus a few new ones.",
    options: [
      { name: 'lesson', description: 'Study only this lesson', type: 'string', autocomplete: 'lesson', maxLength: 64 },
      { name: 'bank', description: 'Study only this question bank', type: 'string', autocomplete: 'bank', maxLength: 64 },
    ],
  },
  {
    key: 'quiz review',
    description: "Redo the questions you missed today (no points).",
    options: [],
  },
  {
    key: 'quiz race',
    description: 'Start a race in this channel: first correct answer wins each round.',
    options: [
      { name: 'rounds', description: 'Number of rounds (1-10, default 5)', type: 'integer', min: 1, max: 10 },
      { name: 'lesson', description: 'Ask questions from this lesson only', type: 'string', autocomplete: 'lesson', maxLength: 64 },
    ],
    visibility: 'public',
  },
  {
    key: 'leaderboard',
    description: 'Top 10 and your own rank.',
    options: [
      { name: 'period', description: 'week, month, season or all (default week)', type: 'string', choices: ['week', 'month', 'season', 'all'] },
      { name: 'scope', description: 'server, channel or groups (default server)', type: 'string', choices: ['server', 'channel', 'groups'] },
      { name: 'season', description: 'An earlier season by number', type: 'integer', min: 1, max: 10000 },
    ],
    visibility: 'public',
  },
  {
    key: 'stats',
    description: 'Your cards due, retention, accuracy by lesson and streak.',
    options: [],
  },
  {
    key: 'settings',
    description: 'Your settings: time zone, reviews a day and desired retention.',
    options: [{ name: 'timezone', description: 'An IANA time zone, e.g. Europe/Berlin', type: 'string', maxLength: 64 }, { name: 'reviews', description: 'Most reviews a day: 1 to 500, or default', type: 'string', maxLength: 7 }, { name: 'retention', description: 'Desired recall at each review: 0.70 to 0.97, or default', type: 'string', maxLength: 8 }],
  },
  {
    key: 'group create',
    description: 'Create a study group (you join it).',
    options: [{ name: 'name', description: 'Group name', type: 'string', required: true, maxLength: 40, rest: true }],
  },
  {
    key: 'group join',
    description: 'Join a study group (one per server).',
    options: [{ name: 'name', description: 'Group name', type: 'string', required: true, maxLength: 40, rest: true }],
  },
  {
    key: 'group leave',
    description: 'Leave your study group.',
    options: [],
  },
  {
    key: 'group list',
    description: 'The study groups of this server.',
    options: [],
  },
  {
    key: 'quiz-admin schedule',
    description: "Post today's quiz in a channel every day at a time, or turn it off.",
    options: [
      { name: 'time', description: 'HH:MM (24 h), or off', type: 'string', required: true, maxLength: 5 },
      { name: 'timezone', description: 'IANA time zone (default: the server default)', type: 'string', maxLength: 64 },
      { name: 'channel', description: 'Channel id (default: this channel)', type: 'string', maxLength: 64 },
      { name: 'weekly', description: 'Also post the weekly leaderboard on Mondays', type: 'boolean' },
      { name: 'bank', description: 'Post a quiz of this bank instead of the daily quiz', type: 'string', autocomplete: 'bank', maxLength: 64 },
      { name: 'lesson', description: 'Post a quiz of this lesson instead of the daily quiz', type: 'string', autocomplete: 'lesson', maxLength: 64 },
    ],
    admin: true,
  },
  {
    key: 'quiz-admin stats',
    description: 'Question analysis: share right, discrimination, wrong picks and flags, 10 a page.',
    options: [
      { name: 'page', description: 'Which page of 10 questions (default 1)', type: 'integer', min: 1, max: 10000 },
      { name: 'sort', description: 'attempts (default), flag, facility, discrimination or question', type: 'string', choices: STATS_SORTS },
      { name: 'flagged', description: 'Only the flagged questions, with a chart', type: 'boolean' },
    ],
    admin: true,
  },
  {
    key: 'quiz-admin reports',
    description: 'Questions reported by learners.',
    options: [],
    admin: true,
  },
  {
    key: 'quiz-admin end-season',
    description: 'End the current season: archive its standings and start a new one.',
    options: [],
    admin: true,
  },
  {
    key: 'quiz-admin banks',
    description: "The banks this server learns from: list them, or turn one on or off for the daily quiz, races and schedules.",
    options: [
      { name: 'bank', description: 'A bank to show or change', type: 'string', autocomplete: 'bank', maxLength: 64 },
      { name: 'state', description: 'on or off', type: 'string', choices: ['on', 'off'] },
    ],
    admin: true,
  },
  {
    key: 'quiz-admin import',
    description: 'Import a question bank from a file: shows what would change, then asks to apply.',
    options: [
      { name: 'file', description: 'YAML, JSON, CSV/TSV, GIFT, Aiken, Anki, Red trivia or Open Trivia DB file', type: 'attachment', required: true },
      { name: 'format', description: 'The file format (default: from its name and content)', type: 'string', choices: IMPORT_FORMATS },
      { name: 'bank', description: 'Target bank id (default: from the file)', type: 'string', autocomplete: 'bank', maxLength: 64 },
      { name: 'lesson', description: 'Default source lesson of the questions', type: 'string', autocomplete: 'lesson', maxLength: 64 },
    ],
    admin: true,
    slow: true,
  },
  {
    key: 'quiz-admin imports',
    description: 'The recent question bank imports: who, when, which file, what changed.',
    options: [],
    admin: true,
  },
  {
    key: 'quiz-admin schedules',
    description: "This server's daily quiz posts, each with a button to remove it.",
    options: [],
    admin: true,
  },
  {
    key: 'moe route',
    description: 'Send a prompt to a live MoE model and see which experts each token went to.',
    options: [{ name: 'prompt', description: 'The text to route', type: 'string', required: true, maxLength: 2000, rest: true }],
    slow: true,
  },
  {
    key: 'moe compare',
    description: 'Route two phrasings of a question and see how far their experts differ.',
    options: [
      { name: 'a', description: 'The first phrasing (quote it in text commands)', type: 'string', required: true, maxLength: 2000 },
      { name: 'b', description: 'The second phrasing', type: 'string', required: true, maxLength: 2000 },
    ],
    slow: true,
  },
  {
    key: 'moe domains',
    description: 'Which experts code, maths, prose and chat prompts use most, at an early, middle and late MoE layer.',
    options: [],
    slow: true,
  },
  {
    key: 'moe quiz',
    description: 'A practice question from live routing: which of two prompts produced this heatmap? (no points)',
    options: [],
    slow: true,
  },
  {
    key: 'moe model',
    description: 'What the live MoE model is: family, layers, experts, top-k, parameters.',
    options: [],
    slow: true,
  },
];

const byKey = new Map(CATALOGUE.map((c) => [c.key, c]));

export function findCommand(key: string): CommandSpec | undefined {
  return byKey.get(key);
}
