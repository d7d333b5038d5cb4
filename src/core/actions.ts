/**
 * Button and select ids: a short action name plus arguments, `name:arg1:arg2`. Discord caps
 * custom ids at 100 characters and Slack action ids at 255, so ids stay within 100. Every name is
 * declared in action-catalogue.ts, which says how its arguments parse and who may press it.
 */

export const MAX_ACTION_ID = 100;

export class ActionIdError extends Error {
  override name = 'ActionIdError';
}

export function encodeAction(name: string, ...args: (string | number)[]): string {
  for (const a of [name, ...args.map(String)]) {
    if (a.includes(':')) throw new ActionIdError(`action part "${a}" contains ':'`);
  }
  const id = [name, ...args.map(String)].join(':');
  if (id.length > MAX_ACTION_ID) throw new ActionIdError(`action id "${id.slice(0, 40)}…" is longer than ${MAX_ACTION_ID}`);
  return id;
}

export function decodeAction(id: string): { name: string; args: string[] } {
  const [name = '', ...args] = id.split(':');
  return { name, args };
}
