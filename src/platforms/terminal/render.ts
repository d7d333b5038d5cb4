import type { Component, Reply } from '../../core/interaction.js';
import { parseMarkup } from '../../core/markup.js';

const ansi = { bold: ['\x1b[1m', '\x1b[22m'], italic: ['\x1b[3m', '\x1b[23m'], code: ['\x1b[36m', '\x1b[39m'] } as const;

/** Strips terminal control characters from text that came from users or files. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Markup → terminal text: ANSI styles on a TTY, plain text otherwise. */
export function renderMarkup(source: string, color: boolean): string {
  return parseMarkup(source)
    .map((s) => {
      const text = clean(s.text);
      if (s.kind === 'link') return `${text} <${clean(s.url)}>`;
      if (s.kind === 'text' || !color) return text;
      const [open, close] = ansi[s.kind];
      return open + text + close;
    })
    .join('');
}

/** A pressable thing on screen: typing its number presses it. */
export type Pressable =
  | { kind: 'button'; component: Extract<Component, { kind: 'button' }> }
  | { kind: 'link'; url: string }
  | { kind: 'option'; actionId: string; value: string };

export function renderReply(reply: Reply, color: boolean, imagePath?: string): { text: string; pressables: Pressable[] } {
  const out: string[] = [];
  if (reply.title) out.push(renderMarkup(`**${reply.title.replace(/\*/g, '')}**`, color));
  if (reply.text) out.push(renderMarkup(reply.text, color));
  for (const f of reply.fields ?? []) out.push(`${renderMarkup(f.name, color)}: ${renderMarkup(f.value, color)}`);
  if (imagePath) out.push(`[image: ${reply.image?.alt ?? 'image'} → ${imagePath}]`);
  const pressables: Pressable[] = [];
  for (const row of reply.components ?? []) {
    const labels: string[] = [];
    for (const c of row) {
      if (c.kind === 'select') {
        out.push(clean(c.placeholder) + ':');
        for (const o of c.options) {
          pressables.push({ kind: 'option', actionId: c.actionId, value: o.value });
          out.push(`  [${pressables.length}] ${clean(o.label)}`);
        }
        continue;
      }
      pressables.push(c.kind === 'link' ? { kind: 'link', url: c.url } : { kind: 'button', component: c });
      labels.push(`[${pressables.length}] ${clean(c.label)}`);
    }
    if (labels.length) out.push(labels.join('  '));
  }
  return { text: out.join('\n'), pressables };
}
