import { encodeAction } from '../actions.js';
import type { Button, Reply } from '../interaction.js';
import { md } from '../markup.js';
import { truncate } from '../util/text.js';
import { NOT_COVERED, type AskAnswer } from './answer.js';

/** Button labels stay within Slack's 75 characters (Discord allows 80). */
const MAX_LABEL = 75;
/** One row of buttons holds five. */
const MAX_BUTTONS = 5;

const mark = (n: number) => `[${n}]`;

/** An answer as a chat reply: quotes or generated text, the numbered sources, and buttons to read them. */
export function askReply(answer: AskAnswer, options: { title?: string; visibility: Reply['visibility'] }): Reply {
  if (answer.abstained) {
    const lines = [md`${answer.notice ?? NOT_COVERED}`];
    if (answer.suggestions.length) {
      lines.push(md`The closest lessons:`);
      for (const s of answer.suggestions) lines.push(md`• **${s.lessonTitle}** — ${s.section} (\`${s.lessonId}\`)`);
    } else {
      lines.push(md`See /lessons for what they cover.`);
    }
    const buttons: Button[] = answer.suggestions.slice(0, MAX_BUTTONS).map((s) => ({
      kind: 'button',
      label: truncate(`Open: ${s.lessonTitle}`, MAX_LABEL),
      actionId: encodeAction('lesson', s.lessonId, s.sectionIndex),
    }));
    return { title: options.title, text: lines.join('\n'), components: buttons.length ? [buttons] : [], visibility: options.visibility };
  }

  const body = answer.parts.length
    ? answer.parts.map((p) => md`${p.text} ${mark(p.citation)}`).join('\n')
    : md`${answer.answer}`;
  const sources = answer.citations.map((c, i) => md`${mark(i + 1)} ${c.lessonTitle} — ${c.section}`);
  const note = answer.source === 'generated' ? '\n' + md`_Written by a language model from the sections below._` : '';
  const buttons: Button[] = answer.citations.slice(0, MAX_BUTTONS).map((c, i) => ({
    kind: 'button',
    label: truncate(answer.citations.length === 1 ? 'Read the lesson' : `Read ${mark(i + 1)}: ${c.section}`, MAX_LABEL),
    actionId: encodeAction('lesson', c.lessonId, c.sectionIndex),
    style: i === 0 ? 'primary' : 'secondary',
  }));
  return {
    title: options.title,
    text: `${body}${note}\n\n${md`**Sources**`}\n${sources.join('\n')}`,
    components: buttons.length ? [buttons] : [],
    visibility: options.visibility,
  };
}
