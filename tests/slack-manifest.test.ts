import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOT_SCOPES } from '../src/platforms/slack/workspaces.js';

/** The app manifest must give the bot everything the adapter uses. */
const manifest = parse(readFileSync(fileURLToPath(new URL('../deploy/slack-manifest.yaml', import.meta.url)), 'utf8'));

/** Each Web API method the adapter calls, with the bot scope Slack requires for it. */
const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'files.info': 'files:read',
  'users.info': 'users:read',
  'conversations.open': 'im:write',
};

describe('deploy/slack-manifest.yaml', () => {
  it('creates /quiz, interactivity, Socket Mode and the DM events for imports', () => {
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/quiz', usage_hint: expect.stringContaining('race') })]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('message.im');
    expect(manifest.features.app_home.messages_tab_read_only_enabled).toBe(false);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
  });

  it('grants the scope of every Web API method the adapter calls', () => {
    const scopes: string[] = manifest.oauth_config.scopes.bot;
    for (const [method, scope] of Object.entries(METHOD_SCOPES)) expect(scopes, method).toContain(scope);
    expect(scopes).toEqual(expect.arrayContaining(['commands', 'chat:write.public', 'im:history']));
  });

  it('asks, when a workspace installs it by OAuth, for exactly the scopes it lists, and hears when it is uninstalled', () => {
    expect([...BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(['app_uninstalled', 'tokens_revoked']));
    const text = readFileSync(fileURLToPath(new URL('../deploy/slack-manifest.yaml', import.meta.url)), 'utf8');
    expect(text).toContain('#   - https://quizbot.example.com/slack/oauth_redirect');
    for (const name of ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET', 'INSTALLATION_ENCRYPTION_KEY']) expect(text).toContain(name);
  });
});
