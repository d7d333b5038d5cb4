import type { App as BoltApp } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { errorInfo } from './errors.js';
import type { SlackInstallations } from './installations.js';
import { contextServerId } from './tenant.js';

/**
 * A workspace that uninstalls the app (app_uninstalled), or revokes the bot's token
 * (tokens_revoked), loses its installation at once: its token is never used again, its requests
 * are refused and its scheduled posts are not sent. Its quiz data stays (boards, banks, schedules)
 * until an operator deletes it (`quizbot tenant delete slack:<team>`), so a reinstall carries on.
 * Bolt delivers these two events without authorizing them (the tokens may already be gone).
 */
export function registerUninstallListeners(bolt: BoltApp, installations: SlackInstallations, logger: Logger): void {
  bolt.event('app_uninstalled', async ({ context }) => {
    const serverId = contextServerId(context);
    try {
      installations.remove(serverId);
    } catch (err) {
      logger.error({ server: serverId, err: errorInfo(err) }, 'slack: could not remove the installation of an uninstalled workspace');
    }
  });

  bolt.event('tokens_revoked', async ({ event, context }) => {
    const serverId = contextServerId(context);
    // Only the bot token matters: the app asks for no user scopes.
    if (!(event.tokens.bot ?? []).length) return;
    try {
      installations.remove(serverId);
    } catch (err) {
      logger.error({ server: serverId, err: errorInfo(err) }, 'slack: could not remove the installation whose token was revoked');
    }
  });
}
