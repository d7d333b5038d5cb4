import type { types } from '@slack/bolt';
import type { Button, Component, Field, Reply } from '../../core/interaction.js';
import { parseMarkup, plainText } from '../../core/markup.js';
import type { ModalOrigin } from './modal-submit.js';

/**
 * Reply → Block Kit. The one renderer of core markup for Slack: text spans are escaped for
 * mrkdwn (&, <, >), so text can never become a link, a mention or a `<!channel>` ping.
 */

export interface SlackMessage {
  /** Notification and accessibility fallback. */
  text: string;
  blocks: types.KnownBlock[];
}

/** Slack's limits (Block Kit reference). */
const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  field: 2000,
  fieldsPerSection: 10,
  header: 150,
  buttonText: 75,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  fallbackText: 3000,
  modalTitle: 24,
  inputLabel: 2000,
  placeholder: 150,
  metadata: 3000,
};

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** Wraps text in a mrkdwn style, keeping surrounding spaces outside the markers (Slack ignores `* x *`). */
function styled(marker: string, text: string): string {
  const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
  return m[2] ? `${m[1]}${marker}${escapeMrkdwn(m[2])}${marker}${m[3]}` : escapeMrkdwn(text);
}

/** Core markup → Slack mrkdwn. */
export function mrkdwn(source: string): string {
  return parseMarkup(source)
    .map((span) => {
      switch (span.kind) {
        case 'text':
          return escapeMrkdwn(span.text);
        case 'bold':
          return styled('*', span.text);
        case 'italic':
          return styled('_', span.text);
        case 'code':
          // mrkdwn has no escape for a backtick inside code.
          return styled('`', span.text.replace(/`/g, "'"));
        case 'link': {
          const url = span.url.replace(/[<>|]/g, (c) => encodeURIComponent(c)).replace(/&/g, '&amp;');
          return `<${url}|${escapeMrkdwn(span.text)}>`;
        }
      }
    })
    .join('');
}

const plain = (text: string, max: number): types.PlainTextElement => ({ type: 'plain_text', text: clip(text || ' ', max), emoji: true });

/** Splits mrkdwn into chunks under the section limit, at line breaks where possible. */
function chunks(text: string, max = LIMITS.sectionText): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (current) out.push(current);
      current = '';
      out.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    const joined = current ? current + '\n' + rest : rest;
    if (joined.length > max) {
      out.push(current);
      current = rest;
    } else {
      current = joined;
    }
  }
  if (current.trim()) out.push(current);
  return out;
}

function fieldText(f: Field): string {
  const name = plainText(f.name).replace(/\*/g, '').trim();
  const value = mrkdwn(f.value);
  return clip(name ? `*${escapeMrkdwn(name)}*\n${value}` : value, LIMITS.field);
}

function fieldBlocks(fields: readonly Field[]): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [];
  let inline: types.MrkdwnElement[] = [];
  const flush = () => {
    if (inline.length) blocks.push({ type: 'section', fields: inline });
    inline = [];
  };
  for (const f of fields) {
    if (f.inline) {
      inline.push({ type: 'mrkdwn', text: escapeOrSpace(fieldText(f)) });
      if (inline.length === LIMITS.fieldsPerSection) flush();
    } else {
      flush();
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: escapeOrSpace(fieldText(f)) } });
    }
  }
  flush();
  return blocks;
}

function escapeOrSpace(text: string): string {
  return text.trim() ? text : ' ';
}

/** An input button carries its form in the value, so a press can open the modal without asking the core. */
interface InputSpec {
  input: NonNullable<Button['input']>;
}

export function buttonValue(button: Button): string {
  return button.input ? JSON.stringify({ input: button.input } satisfies InputSpec) : button.actionId;
}

export function inputOfValue(value: string | undefined): InputSpec['input'] | undefined {
  if (!value?.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<InputSpec>;
    return parsed.input && typeof parsed.input.label === 'string' && typeof parsed.input.title === 'string' ? parsed.input : undefined;
  } catch {
    return undefined;
  }
}

function element(c: Component, row: number, index: number): types.ActionsBlockElement {
  switch (c.kind) {
    case 'button': {
      const style = c.style === 'primary' || c.style === 'success' ? 'primary' : c.style === 'danger' ? 'danger' : undefined;
      return { type: 'button', action_id: c.actionId, text: plain(c.label, LIMITS.buttonText), value: buttonValue(c), ...(style ? { style } : {}) };
    }
    case 'link':
      // Slack also reports link clicks as actions; the `url` on the action tells them apart.
      return { type: 'button', action_id: `link-${row}-${index}`, text: plain(c.label, LIMITS.buttonText), url: c.url };
    case 'select': {
      const options = c.options.slice(0, LIMITS.selectOptions).map((o) => ({
        text: plain(o.label, LIMITS.optionText),
        value: o.value.slice(0, LIMITS.optionValue),
      }));
      const placeholder = plain(c.placeholder, LIMITS.optionText);
      if ((c.maxValues ?? 1) > 1) {
        return { type: 'multi_static_select', action_id: c.actionId, placeholder, options, max_selected_items: Math.min(c.maxValues!, options.length) };
      }
      return { type: 'static_select', action_id: c.actionId, placeholder, options };
    }
  }
}

export function renderMessage(reply: Reply): SlackMessage {
  const head: types.KnownBlock[] = [];
  if (reply.title) head.push({ type: 'header', text: plain(plainText(reply.title), LIMITS.header) });
  const body: types.KnownBlock[] = chunks(mrkdwn(reply.text)).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  const tail: types.KnownBlock[] = [
    ...fieldBlocks(reply.fields ?? []),
    ...(reply.components ?? [])
      .filter((row) => row.length > 0)
      .map((row, r): types.KnownBlock => ({ type: 'actions', block_id: `row-${r}`, elements: row.map((c, i) => element(c, r, i)) })),
  ];
  // Over Slack's block limit, the end of the text goes; the buttons stay.
  const room = Math.max(0, LIMITS.blocks - head.length - tail.length);
  const blocks = [...head, ...body.slice(0, room), ...tail].slice(0, LIMITS.blocks);
  const fallback = [reply.title ? plainText(reply.title) : '', plainText(reply.text)].filter(Boolean).join(': ');
  return { text: clip(escapeMrkdwn(fallback || 'Quiz bot'), LIMITS.fallbackText), blocks };
}

/** What a modal needs to answer its submission: the action it stands for and where it came from. */
export interface ModalMetadata extends ModalOrigin {
  actionId: string;
}

export const INPUT_MODAL = 'quizbot-input';
export const INPUT_BLOCK = 'answer';
export const INPUT_ELEMENT = 'text';

/** The first of `candidates` (each smaller than the one before) whose JSON fits private_metadata. */
function fittedMetadata(...candidates: object[]): string {
  const texts = candidates.map((c) => JSON.stringify(c));
  return texts.find((t) => t.length <= LIMITS.metadata) ?? texts.at(-1)!;
}

/** A modal form: its title, submit button and metadata clipped to Slack's limits. */
function modal(callbackId: string, title: string, submit: string, metadata: string, blocks: types.ModalView['blocks']): types.ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    title: plain(title, LIMITS.modalTitle),
    submit: plain(submit, LIMITS.modalTitle),
    close: plain('Cancel', LIMITS.modalTitle),
    private_metadata: metadata,
    blocks,
  };
}

export function inputModal(input: InputSpec['input'], meta: ModalMetadata): types.ModalView {
  return modal(INPUT_MODAL, input.title, 'Submit', fittedMetadata(meta, { ...meta, responseUrl: undefined }), [
    {
      type: 'input',
      block_id: INPUT_BLOCK,
      label: plain(input.label, LIMITS.inputLabel),
      element: {
        type: 'plain_text_input',
        action_id: INPUT_ELEMENT,
        ...(input.placeholder ? { placeholder: plain(input.placeholder, LIMITS.placeholder) } : {}),
        ...(input.maxLength ? { max_length: Math.min(input.maxLength, 3000) } : {}),
      },
    },
  ]);
}

export function parseModalMetadata(raw: string): ModalMetadata | undefined {
  try {
    const m = JSON.parse(raw) as Partial<ModalMetadata>;
    if (typeof m.actionId !== 'string' || typeof m.channelId !== 'string') return undefined;
    return { actionId: m.actionId, channelId: m.channelId, ...(typeof m.responseUrl === 'string' ? { responseUrl: m.responseUrl } : {}) };
  } catch {
    return undefined;
  }
}

/** What the file form needs to run its command when submitted. */
export interface FileModalMetadata extends ModalOrigin {
  command: string;
  /** The options typed with the command, besides the file. */
  options: Record<string, unknown>;
  /** The option that takes the file. */
  fileOption: string;
}

export const FILE_MODAL = 'quizbot-file';
export const FILE_BLOCK = 'file';
export const FILE_ELEMENT = 'file';

/** A form with a file input, for a command that needs a file (e.g. an import). */
export function fileModal(title: string, label: string, meta: FileModalMetadata): types.ModalView {
  const metadata = fittedMetadata(meta, { ...meta, responseUrl: undefined }, { ...meta, options: {}, responseUrl: undefined });
  return modal(FILE_MODAL, title, 'Upload', metadata, [
    { type: 'input', block_id: FILE_BLOCK, label: plain(label, LIMITS.inputLabel), element: { type: 'file_input', action_id: FILE_ELEMENT, max_files: 1 } },
  ]);
}

export function parseFileModalMetadata(raw: string): FileModalMetadata | undefined {
  try {
    const m = JSON.parse(raw) as Partial<FileModalMetadata>;
    if (typeof m.command !== 'string' || typeof m.fileOption !== 'string' || typeof m.channelId !== 'string') return undefined;
    const options = m.options && typeof m.options === 'object' ? m.options : {};
    return { command: m.command, options, fileOption: m.fileOption, channelId: m.channelId, ...(typeof m.responseUrl === 'string' ? { responseUrl: m.responseUrl } : {}) };
  } catch {
    return undefined;
  }
}
