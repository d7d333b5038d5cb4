import { randomBytes } from 'node:crypto';
import type { FakeSlackWebApi } from './web-api.js';

/**
 * A workspace admin installing the app through the bot's real OAuth pages, the way a browser
 * does: GET /slack/install (the "Add to Slack" page, which sets the state cookie), follow its link
 * to Slack's authorize page (the fake, which approves at once for `teamId`), then GET the bot's
 * /slack/oauth_redirect with the code, the state and the cookie. The bot exchanges the code with
 * oauth.v2.access and stores the installation.
 */

export interface InstallResult {
  /** The bot's answer to the redirect: 200 and its success page when the install went through. */
  status: number;
  page: string;
  /** The authorize URL the install page linked to. */
  authorizeUrl: URL;
  stateCookie: string;
}

/** Every bit of OAuth configuration the bot needs for the fake (besides the signing secret). */
export function oauthEnv(slack: FakeSlackWebApi, key = randomBytes(32).toString('base64')): Record<string, string> {
  return {
    SLACK_CLIENT_ID: slack.clientId,
    SLACK_CLIENT_SECRET: slack.clientSecret,
    SLACK_STATE_SECRET: 'state-secret-for-tests-5b8e2f1a',
    SLACK_API_URL: slack.url,
    INSTALLATION_ENCRYPTION_KEY: key,
  };
}

export async function installViaOAuth(port: number, slack: FakeSlackWebApi, teamId: string, options: { cookie?: 'omit' | 'wrong' } = {}): Promise<InstallResult> {
  const base = `http://127.0.0.1:${port}`;
  slack.oauthRedirectUrl = `${base}/slack/oauth_redirect`;
  const page = await fetch(`${base}/slack/install`, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`/slack/install answered ${page.status}: ${html.slice(0, 200)}`);
  const cookie = /^([^=]+=[^;]*)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('/slack/install set no state cookie');
  const href = /<a href="([^"]+)"/.exec(html)?.[1];
  if (!href) throw new Error(`/slack/install has no link to Slack: ${html.slice(0, 300)}`);
  const authorizeUrl = new URL(href.replace(/&amp;/g, '&'));
  const choose = new URL(authorizeUrl);
  choose.searchParams.set('team', teamId);
  const approved = await fetch(choose, { redirect: 'manual' });
  const back = approved.headers.get('location');
  if (approved.status !== 302 || !back) throw new Error(`Slack's authorize page answered ${approved.status}: ${await approved.text()}`);
  const sentCookie = options.cookie === 'omit' ? undefined : options.cookie === 'wrong' ? cookie.replace(/=.*/, '=forged') : cookie;
  const done = await fetch(back, { redirect: 'manual', headers: sentCookie ? { cookie: sentCookie } : {} });
  return { status: done.status, page: await done.text(), authorizeUrl, stateCookie: cookie };
}
