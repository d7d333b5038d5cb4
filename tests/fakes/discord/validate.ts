import type { Json } from './model.js';

/**
 * Discord's documented limits on what a bot sends. The real API answers a violation with
 * 400 "Invalid Form Body" (code 50035); so does the fake, so a bot that oversteps fails here too.
 */

const NAME = /^[-_'\p{Ll}\p{Lm}\p{Lo}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function len(v: unknown): number {
  return typeof v === 'string' ? [...v].length : 0;
}

function checkComponents(rows: unknown, where: string, problems: string[]): void {
  if (rows === undefined) return;
  if (!Array.isArray(rows)) return void problems.push(`${where}: must be an array`);
  if (rows.length > 5) problems.push(`${where}: at most 5 action rows`);
  const ids = new Set<string>();
  rows.forEach((row: Json, r) => {
    if (row?.type !== 1) return void problems.push(`${where}[${r}]: must be an action row (type 1)`);
    const cs: Json[] = Array.isArray(row.components) ? row.components : [];
    if (cs.length < 1 || cs.length > 5) problems.push(`${where}[${r}]: 1 to 5 components`);
    const selects = cs.filter((c) => c.type === 3);
    if (selects.length && cs.length > 1) problems.push(`${where}[${r}]: a select menu needs a row of its own`);
    cs.forEach((c, i) => {
      const at = `${where}[${r}].components[${i}]`;
      if (c.type === 2) {
        if (c.style === 5) {
          if (!/^https?:\/\//.test(c.url ?? '')) problems.push(`${at}: link button needs a url`);
          if (c.custom_id !== undefined) problems.push(`${at}: link button cannot have a custom_id`);
        } else if (![1, 2, 3, 4].includes(c.style)) problems.push(`${at}: invalid button style ${c.style}`);
        if (len(c.label) > 80) problems.push(`${at}.label: at most 80 characters`);
        if (!c.label && !c.emoji) problems.push(`${at}: a button needs a label or an emoji`);
      } else if (c.type === 3) {
        const options: Json[] = Array.isArray(c.options) ? c.options : [];
        if (options.length < 1 || options.length > 25) problems.push(`${at}.options: 1 to 25 options`);
        for (const o of options) if (len(o.label) < 1 || len(o.label) > 100 || len(o.value) < 1 || len(o.value) > 100) problems.push(`${at}.options: label and value 1 to 100 characters`);
        if (len(c.placeholder) > 150) problems.push(`${at}.placeholder: at most 150 characters`);
        if ((c.max_values ?? 1) > options.length) problems.push(`${at}.max_values: more than the options`);
      } else {
        problems.push(`${at}: unsupported component type ${c.type}`);
      }
      if (c.custom_id !== undefined) {
        if (len(c.custom_id) < 1 || len(c.custom_id) > 100) problems.push(`${at}.custom_id: 1 to 100 characters`);
        if (ids.has(c.custom_id)) problems.push(`${at}.custom_id: duplicate "${c.custom_id}"`);
        ids.add(c.custom_id);
      } else if (c.style !== 5) {
        problems.push(`${at}: custom_id is required`);
      }
    });
  });
}

function checkEmbeds(embeds: unknown, problems: string[]): void {
  if (embeds === undefined) return;
  if (!Array.isArray(embeds)) return void problems.push('embeds: must be an array');
  if (embeds.length > 10) problems.push('embeds: at most 10');
  let total = 0;
  embeds.forEach((e: Json, i) => {
    const at = `embeds[${i}]`;
    if (len(e.title) > 256) problems.push(`${at}.title: at most 256 characters`);
    if (len(e.description) > 4096) problems.push(`${at}.description: at most 4096 characters`);
    const fields: Json[] = e.fields ?? [];
    if (fields.length > 25) problems.push(`${at}.fields: at most 25`);
    fields.forEach((f, j) => {
      if (len(f.name) < 1 || len(f.name) > 256) problems.push(`${at}.fields[${j}].name: 1 to 256 characters`);
      if (len(f.value) < 1 || len(f.value) > 1024) problems.push(`${at}.fields[${j}].value: 1 to 1024 characters`);
      total += len(f.name) + len(f.value);
    });
    total += len(e.title) + len(e.description);
  });
  if (total > 6000) problems.push('embeds: more than 6000 characters in total');
}

/** A message body (create, edit, interaction response data). */
export function messageProblems(body: Json | undefined, options: { create: boolean; fileCount: number }): string[] {
  const problems: string[] = [];
  const b = body ?? {};
  if (b.content !== undefined && b.content !== null && len(b.content) > 2000) problems.push('content: at most 2000 characters');
  checkEmbeds(b.embeds, problems);
  checkComponents(b.components, 'components', problems);
  if (b.allowed_mentions !== undefined) {
    const parse = b.allowed_mentions.parse;
    if (parse !== undefined && (!Array.isArray(parse) || parse.some((p: unknown) => !['users', 'roles', 'everyone'].includes(p as string)))) {
      problems.push('allowed_mentions.parse: only users, roles, everyone');
    }
  }
  if (options.create) {
    const empty = !b.content && !b.embeds?.length && !b.components?.length && !b.sticker_ids?.length && !b.poll && options.fileCount === 0;
    if (empty) problems.push('Cannot send an empty message (code 50006)');
  }
  return problems;
}

export function modalProblems(data: Json | undefined): string[] {
  const problems: string[] = [];
  if (!data) return ['data: required'];
  if (len(data.title) < 1 || len(data.title) > 45) problems.push('title: 1 to 45 characters');
  if (len(data.custom_id) < 1 || len(data.custom_id) > 100) problems.push('custom_id: 1 to 100 characters');
  const cs: Json[] = Array.isArray(data.components) ? data.components : [];
  if (cs.length < 1 || cs.length > 5) problems.push('components: 1 to 5');
  for (const c of cs) {
    const input = c.type === 18 ? c.component : c.type === 1 ? c.components?.[0] : undefined;
    if (c.type === 18 && (len(c.label) < 1 || len(c.label) > 45)) problems.push('label: 1 to 45 characters');
    if (!input || input.type !== 4) problems.push('components: expected a label (type 18) or row (type 1) holding a text input');
    else if (len(input.custom_id) < 1 || len(input.custom_id) > 100) problems.push('text input custom_id: 1 to 100 characters');
    else if (input.max_length !== undefined && (input.max_length < 1 || input.max_length > 4000)) problems.push('text input max_length: 1 to 4000');
  }
  return problems;
}

export function autocompleteProblems(data: Json | undefined): string[] {
  const choices: Json[] = data?.choices ?? [];
  const problems: string[] = [];
  if (!Array.isArray(choices) || choices.length > 25) problems.push('choices: at most 25');
  for (const c of choices) if (len(c.name) < 1 || len(c.name) > 100) problems.push('choices: name 1 to 100 characters');
  return problems;
}

function optionProblems(options: Json[] | undefined, at: string, problems: string[]): void {
  if (!options) return;
  if (options.length > 25) problems.push(`${at}: at most 25 options`);
  let optional = false;
  const names = new Set<string>();
  options.forEach((o, i) => {
    const here = `${at}[${i}]`;
    if (!NAME.test(o.name ?? '')) problems.push(`${here}.name: invalid "${o.name}"`);
    if (names.has(o.name)) problems.push(`${here}.name: duplicate`);
    names.add(o.name);
    if (len(o.description) < 1 || len(o.description) > 100) problems.push(`${here}.description: 1 to 100 characters`);
    if (o.type === 1 || o.type === 2) {
      if (o.required !== undefined && o.required) problems.push(`${here}: subcommands cannot be required`);
      optionProblems(o.options, `${here}.options`, problems);
      return;
    }
    if (![3, 4, 5, 6, 7, 8, 9, 10, 11].includes(o.type)) problems.push(`${here}.type: invalid ${o.type}`);
    if (o.required && optional) problems.push(`${here}: required options must come before optional ones`);
    if (!o.required) optional = true;
    if (o.autocomplete && o.choices?.length) problems.push(`${here}: autocomplete cannot have choices`);
    if (o.choices && o.choices.length > 25) problems.push(`${here}.choices: at most 25`);
    if (o.max_length !== undefined && (o.max_length < 1 || o.max_length > 6000)) problems.push(`${here}.max_length: 1 to 6000`);
  });
}

/** A bulk-overwrite body (PUT …/commands). */
export function commandProblems(body: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(body)) return ['body: must be an array of commands'];
  if (body.length > 100) problems.push('at most 100 chat input commands');
  const names = new Set<string>();
  body.forEach((c: Json, i) => {
    const at = `[${i}]`;
    if (!NAME.test(c.name ?? '')) problems.push(`${at}.name: invalid "${c.name}"`);
    if (names.has(c.name)) problems.push(`${at}.name: duplicate "${c.name}"`);
    names.add(c.name);
    if ((c.type ?? 1) === 1 && (len(c.description) < 1 || len(c.description) > 100)) problems.push(`${at}.description: 1 to 100 characters`);
    if (c.default_member_permissions !== undefined && c.default_member_permissions !== null && !/^\d+$/.test(c.default_member_permissions)) {
      problems.push(`${at}.default_member_permissions: a permission bit set as a string`);
    }
    const opts: Json[] = c.options ?? [];
    const subs = opts.filter((o) => o.type === 1 || o.type === 2);
    if (subs.length && subs.length !== opts.length) problems.push(`${at}.options: cannot mix subcommands with options`);
    optionProblems(opts, `${at}.options`, problems);
  });
  return problems;
}
