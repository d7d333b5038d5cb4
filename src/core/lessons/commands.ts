import { encodeAction } from '../actions.js';
import { typedCommand, usage } from '../catalogue.js';
import { CATALOGUE } from '../commands.js';
import type { Capability } from '../dispatcher.js';
import { UserError } from '../errors.js';
import type { Button, Platform, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { tryLiveButton, tryLiveReply } from './try-live.js';

function helpReply(platform: Platform, command?: string): Reply {
  if (command) {
    const key = command.replace(/^\//, '').trim().toLowerCase();
    const matches = CATALOGUE.filter((c) => c.key === key || c.key.startsWith(key + ' '));
    if (matches.length === 0) throw new UserError(`There is no command /${key}. Try ${typedCommand('help', platform)}.`);
    const text = matches
      .map((c) => {
        const opts = c.options.map((o) => md`\n  • \`${o.name}\` — ${o.description}${o.required ? '' : ' (optional)'}`).join('');
        return md`\`${usage(c, platform)}\` — ${c.description}${c.admin ? ' (admins)' : ''}` + opts;
      })
      .join('\n');
    return { text, visibility: 'ephemeral' };
  }
  const lines = CATALOGUE.map((c) => md`\`${usage(c, platform)}\` — ${c.description}${c.admin ? ' (admins)' : ''}`);
  return { title: 'Commands', text: lines.join('\n'), visibility: 'ephemeral' };
}

function lessonsReply(services: Services): Reply {
  const lessons = services.lessons.all();
  if (lessons.length === 0) return { text: 'No lessons are loaded yet.', visibility: 'ephemeral' };
  const text = lessons
    .map((l) => md`**${l.title}** (\`${l.id}\`, ${l.minutes} min, ${l.sections.length} sections)\n${l.summary}`)
    .join('\n\n');
  return {
    title: 'Lessons',
    text: text + md`\n\nRead one with \`/lesson <id>\`.`,
    visibility: 'ephemeral',
  };
}

/** One section of a lesson with previous/next buttons (which replace the message). */
export function lessonSectionReply(services: Services, lessonId: string, index: number, replaceOriginal = false): Reply {
  const lesson = services.lessons.get(lessonId);
  if (!lesson) {
    const ids = services.lessons.all().map((l) => l.id);
    throw new UserError(`There is no lesson "${lessonId}". Lessons: ${ids.join(', ') || 'none'}.`);
  }
  const count = lesson.sections.length;
  const i = Math.min(Math.max(index, 0), count - 1);
  const section = lesson.sections[i]!;
  const buttons: Button[] = [];
  if (i > 0) buttons.push({ kind: 'button', label: '◀ Previous', actionId: encodeAction('lesson', lesson.id, i - 1) });
  if (i < count - 1) {
    buttons.push({ kind: 'button', label: `Next: ${lesson.sections[i + 1]!.title}`.slice(0, 75), actionId: encodeAction('lesson', lesson.id, i + 1), style: 'primary' });
  }
  const demo = tryLiveButton(lesson.id, i, section);
  if (demo) buttons.push(demo);
  return {
    title: `${lesson.title} — ${i + 1}/${count}`,
    // Lesson files are trusted content written in the same light Markdown the core uses.
    text: md`**${section.title}**\n\n` + section.body,
    components: buttons.length ? [buttons] : [],
    visibility: 'ephemeral',
    replaceOriginal,
  };
}

/** Index of a section by its number, title or slug; 0 when not given. */
export function sectionIndex(services: Services, lessonId: string, section: string | number | undefined): number {
  if (section === undefined) return 0;
  const lesson = services.lessons.get(lessonId);
  if (!lesson) return 0;
  if (typeof section === 'number') return section - 1;
  const i = lesson.sections.findIndex((s) => s.slug === section || s.title.toLowerCase() === section.toLowerCase());
  return Math.max(i, 0);
}

export const lessonsCapability: Capability = {
  commands: {
    help: ({ options, interaction }) => helpReply(interaction.actor.platform, options.command as string | undefined),
    lessons: ({ services }) => lessonsReply(services),
    lesson: ({ services, options }) =>
      lessonSectionReply(services, String(options.id), sectionIndex(services, String(options.id), options.section as number | undefined)),
  },
  actions: {
    lesson: ({ services, args: [lessonId, index] }) => lessonSectionReply(services, lessonId, index, true),
    'lesson.try': ({ services, interaction, args: [lessonId, index] }) => tryLiveReply(services, interaction.actor, lessonId, index),
  },
};

