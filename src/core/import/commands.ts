import type { ArgsOf } from '../action-catalogue.js';
import { encodeAction } from '../actions.js';
import { formatIssue, type SourceIssue } from '../content/issues.js';
import type { ActionContext, Capability, CommandContext } from '../dispatcher.js';
import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { tenantOf } from '../tenant.js';
import { md } from '../markup.js';
import { truncate } from '../util/text.js';
import { applyImport, cancelImport, listImports, prepareImport, type ApplyResult, type ImportActor, type PrepareResult } from './apply.js';
import type { ImportDiff, QuestionRef } from './diff.js';
import type { ImportFormat } from './types.js';

/**
 * `/quiz-admin import` (a file: dry run, then Apply/Cancel buttons) and `/quiz-admin imports`
 * (the log). Every platform reaches the same prepare/apply functions the CLI uses.
 */

/** Problems and changed questions shown in one reply (which must fit a Discord message); the rest are counted. */
const SHOWN_ISSUES = 10;
const SHOWN_QUESTIONS = 5;

/** Who imports, and the tenant that will own what they import. */
export function importActor(actor: Actor, place: Place): ImportActor {
  return { platform: actor.platform, userId: actor.userId, displayName: actor.displayName, tenant: tenantOf(actor.platform, place) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function issuesText(issues: SourceIssue[]): string {
  const lines = issues.slice(0, SHOWN_ISSUES).map((i) => md`• ${truncate(formatIssue(i), 180)}`);
  if (issues.length > SHOWN_ISSUES) lines.push(md`… and ${issues.length - SHOWN_ISSUES} more`);
  return lines.join('\n');
}

/** "3 added, 1 changed, 2 removed, 10 unchanged". */
export function diffSummary(diff: Pick<ImportDiff, 'added' | 'changed' | 'removed' | 'unchanged'>): string {
  return `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged`;
}

function questionList(label: string, refs: QuestionRef[]): string {
  if (refs.length === 0) return '';
  const lines = refs.slice(0, SHOWN_QUESTIONS).map((r) => md`\n  • \`${r.id}\` ${truncate(r.prompt.replace(/\s+/g, ' '), 80)}`);
  const more = refs.length > SHOWN_QUESTIONS ? md`\n  … and ${refs.length - SHOWN_QUESTIONS} more` : '';
  return md`\n**${label}** (${refs.length}):` + lines.join('') + more;
}

/** The questions a preview leaves out and the notes about the file, for the admin to fix later. */
function skippedText(skipped: SourceIssue[], warnings: SourceIssue[]): string {
  const notes = warnings.length ? md`\n` + issuesText(warnings) : '';
  if (skipped.length === 0) return notes;
  return md`\n**Skipped** (${skipped.length}, not imported; the rest is):\n` + issuesText(skipped) + notes;
}

/** Questions whose prompt another bank already asks: imported all the same, asked once a quiz. */
function duplicatesText(duplicates: ImportDiff['duplicates']): string {
  if (duplicates.length === 0) return '';
  const lines = duplicates.slice(0, SHOWN_QUESTIONS).map((d) => md`\n  • \`${d.id}\` ${truncate(d.prompt.replace(/\s+/g, ' '), 60)} (also \`${d.otherId}\` in \`${d.otherBank}\`)`);
  const more = duplicates.length > SHOWN_QUESTIONS ? md`\n  … and ${duplicates.length - SHOWN_QUESTIONS} more` : '';
  return md`\n**Already in another bank** (${duplicates.length}; imported too, but a quiz asks each prompt once):` + lines.join('') + more;
}

/** The dry run as a reply: what would change, with Apply and Cancel buttons. */
export function prepareReply(fileName: string, result: PrepareResult): Reply {
  if (!result.ok) {
    return {
      title: `Import refused: ${truncate(fileName, 80)}`,
      text: md`${plural(result.issues.length, 'problem')} found; nothing was changed.\n` + issuesText(result.issues),
      visibility: 'ephemeral',
    };
  }
  const { diff, bank } = result;
  if (diff.noop || !result.draftId) {
    return {
      title: `Nothing to import: ${truncate(fileName, 80)}`,
      text: md`Bank \`${bank.id}\` already matches this file (${plural(bank.questions.length, 'question')}); nothing would change.` + skippedText(result.skipped, result.warnings),
      visibility: 'ephemeral',
    };
  }
  const text =
    md`${diff.bankExists ? 'Update' : 'New'} bank \`${bank.id}\` (${bank.title}) from ${fileName} (${result.format}): **${diffSummary(diff)}**.` +
    skippedText(result.skipped, result.warnings) +
    duplicatesText(diff.duplicates) +
    questionList('Added', diff.added) +
    questionList('Changed', diff.changed) +
    questionList('Removed', diff.removed) +
    (diff.removed.length ? md`\nRemoved questions are retired: kept for history, no longer asked.` : '') +
    (diff.added.length + diff.changed.length + diff.removed.length === 0 ? md`\nOnly the bank's title or the order of its questions changes.` : '') +
    (diff.bankExists ? '' : md`\nIt will be on for this server's daily quiz (see /quiz-admin banks).`) +
    md`\nUsers keep their progress on changed and unchanged questions. Nothing is written until you apply.`;
  return {
    title: `Import preview: ${truncate(fileName, 80)}`,
    text,
    components: [
      [
        { kind: 'button', label: 'Apply import', actionId: encodeAction('import.apply', result.draftId), style: 'success' },
        { kind: 'button', label: 'Cancel', actionId: encodeAction('import.cancel', result.draftId), style: 'secondary' },
      ],
    ],
    visibility: 'ephemeral',
  };
}

export function applyReply(result: ApplyResult): Reply {
  const reply = (title: string, text: string): Reply => ({ title, text, visibility: 'ephemeral', replaceOriginal: true });
  switch (result.status) {
    case 'applied': {
      const c = result.counts;
      return reply(
        'Import applied',
        md`Bank \`${result.bankId}\`: ${c.added} added, ${c.changed} changed, ${c.retired} removed (retired), ${c.unchanged} unchanged. Recorded as import #${result.importId}.`,
      );
    }
    case 'already-applied':
      return reply('Import already applied', md`This import into bank \`${result.bankId}\` was applied before; nothing changed now.`);
    case 'missing':
      return reply('Import not available', 'This import preview was cancelled or has expired. Upload the file again.');
    case 'expired':
      return reply('Import expired', 'This import preview is more than a day old. Upload the file again.');
    case 'rejected':
      return reply('Import refused', md`The database changed since the preview; nothing was written.\n` + issuesText(result.issues));
  }
}

interface ImportOptions {
  file: { name: string; url?: string; content?: Buffer };
  format?: ImportFormat;
  bank?: string;
  lesson?: string;
}

async function importCommand({ services, interaction, options }: CommandContext<ImportOptions>): Promise<Reply> {
  const { file } = options;
  if (!file.content) throw new UserError('The attached file could not be downloaded. Attach it again.');
  const result = await prepareImport(services, {
    fileName: file.name,
    bytes: file.content,
    actor: importActor(interaction.actor, interaction.place),
    parseBudgetMs: services.config.IMPORT_PARSE_BUDGET_MS,
    ...(options.format ? { format: options.format } : {}),
    ...(options.bank ? { bankId: options.bank } : {}),
    ...(options.lesson ? { lessonId: options.lesson } : {}),
  });
  return prepareReply(file.name, result);
}

/** This server's imports only: another server's files, names and banks are its own business. */
function importsCommand({ services, interaction }: CommandContext): Reply {
  const rows = listImports(services.db, tenantOf(interaction.actor.platform, interaction.place), 15);
  if (rows.length === 0) return { title: 'Imports', text: 'No imports yet. Use /quiz-admin import with a file.', visibility: 'ephemeral' };
  const lines = rows.map(
    (r) =>
      md`**#${r.id}** ${new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC · \`${r.bankId}\` ← ${r.fileName} (${r.format}) by ${r.actor} on ${r.platform}: ` +
      md`${r.added} added, ${r.changed} changed, ${r.removed} removed, ${r.unchanged} unchanged · sha256 \`${r.fileHash.slice(0, 12)}\``,
  );
  return { title: 'Recent imports', text: lines.join('\n'), visibility: 'ephemeral' };
}

/** Admins only, and only in the tenant the preview was made in: checked before (see action-catalogue.ts). */
function applyAction({ services, interaction, args: [draftId] }: ActionContext<ArgsOf<'import.apply'>>): Reply {
  return applyReply(applyImport(services, draftId, importActor(interaction.actor, interaction.place)));
}

function cancelAction({ services, interaction, args: [draftId] }: ActionContext<ArgsOf<'import.cancel'>>): Reply {
  const cancelled = cancelImport(services, draftId, tenantOf(interaction.actor.platform, interaction.place));
  return {
    title: cancelled ? 'Import cancelled' : 'Import not available',
    text: cancelled ? 'Nothing was changed.' : 'This import was already applied, cancelled or has expired.',
    visibility: 'ephemeral',
    replaceOriginal: true,
  };
}

export const importCapability: Capability = {
  commands: {
    'quiz-admin import': importCommand,
    'quiz-admin imports': importsCommand,
  },
  actions: {
    'import.apply': applyAction,
    'import.cancel': cancelAction,
  },
};
