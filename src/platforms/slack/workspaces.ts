import { type AuthorizeResult, type AuthorizeSourceData, webApi } from '@slack/bolt';
import { LruMap } from '../../core/util/lru-map.js';
import { notInstalled, type SlackInstallations } from './installations.js';
import type { WorkspaceClient } from './outbox.js';
import { contextServerId } from './tenant.js';

/**
 * The bot scopes the app asks for when a workspace installs it: what the adapter's Web API calls
 * need (deploy/slack-manifest.yaml lists the same, checked by a test).
 */
export const BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'channels:read',
  'groups:read',
  'im:read',
  'files:write',
  'files:read',
  'im:history',
  'im:write',
  'users:read',
] as const;

type Authorize = (source: AuthorizeSourceData<boolean>) => Promise<AuthorizeResult>;

/**
 * One authorization at a time per workspace: requests that arrive together while a token is due
 * for rotation wait for the one refresh (a refresh token is good for one exchange) and share its
 * result, each with a copy of its own (Bolt adds the request's user to the result it gets).
 */
export function oneAtATime(authorize: Authorize): Authorize {
  const flights = new Map<string, Promise<AuthorizeResult>>();
  return (source) => {
    const key = contextServerId(source);
    let flight = flights.get(key);
    if (!flight) {
      flight = authorize(source).finally(() => flights.delete(key));
      flights.set(key, flight);
    }
    return flight.then((result) => ({ ...result }));
  };
}

/**
 * The Web API client of a workspace that installed the app by OAuth, for work outside a request
 * (daily posts, race rounds, channel checks): authorized like a request (a token due for rotation
 * is refreshed and stored first), one client per token.
 */
export function installedWorkspaceClient(installations: SlackInstallations, authorize: Authorize, clientOptions: webApi.WebClientOptions): WorkspaceClient {
  const clients = new LruMap<string, webApi.WebClient>(1_000);
  return async (serverId) => {
    const place = installations.place(serverId);
    if (!place) throw notInstalled(serverId);
    const auth = await authorize(
      place.orgInstall
        ? { isEnterpriseInstall: true, enterpriseId: place.enterpriseId ?? serverId, teamId: undefined }
        : { isEnterpriseInstall: false, enterpriseId: place.enterpriseId ?? undefined, teamId: place.teamId ?? serverId },
    );
    const token = auth.botToken;
    if (!token) throw notInstalled(serverId);
    let client = clients.get(token);
    if (!client) clients.set(token, (client = new webApi.WebClient(token, clientOptions)));
    return client;
  };
}
