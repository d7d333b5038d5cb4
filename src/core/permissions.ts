import { UserError } from './errors.js';
import type { Actor } from './interaction.js';

/**
 * The one admin check. The platforms decide what the admin right is (Manage Server on Discord,
 * workspace admin/owner or SLACK_ADMIN_USER_IDS on Slack, TERMINAL_ADMINS in the terminal) and
 * set Actor.isAdmin; commands and buttons both come through here.
 */
export function assertAdmin(actor: Actor, what: string): void {
  if (!actor.isAdmin) throw new UserError(`${what} is for admins only.`);
}
