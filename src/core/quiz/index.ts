import type { Capability, CommandHandler } from '../dispatcher.js';
import { UserError } from '../errors.js';

const pending: CommandHandler = () => {
  throw new UserError('This command is being built.');
};

export const quizCapability: Capability = {
  commands: Object.fromEntries(
    ['quiz', 'quiz review', 'quiz race', 'leaderboard', 'stats', 'settings', 'group create', 'group join', 'group leave', 'group list', 'quiz-admin schedule', 'quiz-admin stats', 'quiz-admin reports', 'quiz-admin end-season'].map((k) => [k, pending]),
  ),
};
