import { encodeAction } from '../actions.js';
import type { LessonDemo, LessonSection } from '../content/load.js';
import { UserError } from '../errors.js';
import type { Actor, Button, Reply } from '../interaction.js';
import { md } from '../markup.js';
import { compareReply, demoUser, routeReply, runDemo, SETUP_TEXT } from '../moe/commands.js';
import type { Services } from '../services.js';

/**
 * "Try it live" on a lesson section: runs the section's declared demo (see LessonDemo) through the
 * same MoE service as /moe route and /moe compare, so the same rate limit, breaker and cache apply.
 * Without an endpoint it answers with the section's explanation of what the demo would show.
 */

export const TRY_LIVE_LABEL = '▶ Try it live';

/** The button a section with a demo carries; undefined for a section without one. */
export function tryLiveButton(lessonId: string, index: number, section: LessonSection): Button | undefined {
  if (!section.demo) return undefined;
  return { kind: 'button', label: TRY_LIVE_LABEL, actionId: encodeAction('lesson.try', lessonId, index) };
}

/** The demo's prompt (or prompts) as a line of markup. */
function promptLine(demo: LessonDemo): string {
  return demo.kind === 'route' ? md`Prompt: “${demo.prompt}”` : md`Prompts: “${demo.a}” and “${demo.b}”`;
}

/** The explanation that stands in for the live demo when no endpoint is configured. */
export function demoExplanation(title: string, demo: LessonDemo, back: Button): Reply {
  const what = demo.kind === 'route' ? '/moe route' : '/moe compare';
  return {
    title: `Try it live: ${title}`,
    text:
      md`**What the demo would show**\n${demo.expect}` +
      '\n\n' +
      promptLine(demo) +
      '\n\n' +
      md`_Live routing demos are not set up on this bot, so here is what ${what} would show instead._ ${SETUP_TEXT}`,
    components: [[back]],
    visibility: 'ephemeral',
  };
}

/** Runs the demo of a lesson's section for the person who pressed its button. */
export async function tryLiveReply(services: Services, actor: Pick<Actor, 'platform' | 'userId'>, lessonId: string, index: number): Promise<Reply> {
  const lesson = services.lessons.get(lessonId);
  const section = lesson?.sections[index];
  const demo = section?.demo;
  if (!lesson || !section || !demo) throw new UserError('This lesson section has no live demo any more. Open the lesson again with /lesson.');
  const back: Button = { kind: 'button', label: `◀ Back to the lesson: ${section.title}`.slice(0, 75), actionId: encodeAction('lesson', lesson.id, index) };
  const user = demoUser(actor);
  return runDemo(
    services,
    async (moe) => {
      const live = demo.kind === 'route' ? await routeReply(await moe.route(user, demo.prompt), back) : await compareReply(await moe.compare(user, demo.a, demo.b), back);
      return { ...live, title: `Try it live: ${section.title}`, text: promptLine(demo) + '\n\n' + live.text };
    },
    () => demoExplanation(section.title, demo, back),
  );
}
