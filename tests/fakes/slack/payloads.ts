/**
 * Request bodies as Slack sends them to a Request URL: slash commands as
 * application/x-www-form-urlencoded fields, interactions (block_actions, view_submission) as a
 * single `payload` field holding JSON. Shapes follow Slack's interaction payload reference.
 */

export const TEAM = { id: 'T0TEAM', domain: 'fake-team' };
export const APP_ID = 'AQUIZ';

let sequence = 0;
const next = () => ++sequence;

export interface SlashOptions {
  text: string;
  userId: string;
  userName?: string;
  channelId?: string;
  responseUrl: string;
  triggerId?: string;
  command?: string;
  /** The workspace it comes from (default TEAM). */
  teamId?: string;
  /** A workspace of an Enterprise Grid organisation; `orgInstall` when the app is installed org-wide. */
  enterpriseId?: string;
  orgInstall?: boolean;
}

export function slashCommand(o: SlashOptions): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: o.teamId ?? TEAM.id,
    team_domain: TEAM.domain,
    ...(o.enterpriseId ? { enterprise_id: o.enterpriseId, enterprise_name: 'Organisation' } : {}),
    channel_id: o.channelId ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: o.userId,
    user_name: o.userName ?? o.userId.toLowerCase(),
    command: o.command ?? '/quiz',
    text: o.text,
    api_app_id: APP_ID,
    is_enterprise_install: o.orgInstall ? 'true' : 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId ?? `${next()}.1111.trigger${next()}`,
  }).toString();
}

export interface ButtonPress {
  userId: string;
  userName?: string;
  actionId: string;
  value?: string;
  channelId?: string;
  responseUrl: string;
  /** The message the button is on: a normal message has a ts; an ephemeral one has none. */
  messageTs?: string;
  actionTs?: string;
  triggerId?: string;
  /** A select menu instead of a button. */
  selected?: string;
  /** A multi-select menu instead of a button. */
  selectedMany?: string[];
  /** The workspace it comes from (default TEAM). */
  teamId?: string;
}

export function interaction(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function blockActions(o: ButtonPress): string {
  const channel = o.channelId ?? 'C0GENERAL';
  const ephemeral = o.messageTs === undefined;
  const actionTs = o.actionTs ?? `${1_700_000_000 + next()}.${String(next()).padStart(6, '0')}`;
  const option = (value: string) => ({ text: { type: 'plain_text', text: value }, value });
  const action = o.selectedMany
    ? { type: 'multi_static_select', action_id: o.actionId, block_id: 'row-0', selected_options: o.selectedMany.map(option), action_ts: actionTs }
    : o.selected !== undefined
      ? { type: 'static_select', action_id: o.actionId, block_id: 'row-0', selected_option: option(o.selected), action_ts: actionTs }
      : { type: 'button', action_id: o.actionId, block_id: 'row-0', text: { type: 'plain_text', text: 'button' }, value: o.value ?? o.actionId, action_ts: actionTs };
  return interaction({
    type: 'block_actions',
    user: { id: o.userId, username: o.userName ?? o.userId.toLowerCase(), name: o.userName ?? o.userId.toLowerCase(), team_id: o.teamId ?? TEAM.id },
    api_app_id: APP_ID,
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: o.messageTs ?? '1700000000.000001', channel_id: channel, is_ephemeral: ephemeral },
    trigger_id: o.triggerId ?? `${next()}.2222.trigger${next()}`,
    team: o.teamId ? { id: o.teamId, domain: o.teamId.toLowerCase() } : TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'general' },
    ...(ephemeral ? {} : { message: { type: 'message', user: 'UQUIZBOT', ts: o.messageTs, text: '' } }),
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [action],
  });
}

export function viewSubmission(o: { userId: string; view: { id: string; callback_id: string; private_metadata: string }; values: Record<string, Record<string, unknown>> }): string {
  return interaction({
    type: 'view_submission',
    team: TEAM,
    user: { id: o.userId, username: o.userId.toLowerCase(), name: o.userId.toLowerCase(), team_id: TEAM.id },
    api_app_id: APP_ID,
    token: 'legacy-verification-token',
    trigger_id: `${next()}.3333.trigger${next()}`,
    view: {
      ...o.view,
      type: 'modal',
      team_id: TEAM.id,
      blocks: [],
      state: { values: o.values },
      hash: `${next()}.hash`,
      title: { type: 'plain_text', text: 'Form' },
      close: null,
      submit: null,
      root_view_id: o.view.id,
      previous_view_id: null,
      clear_on_close: false,
      notify_on_close: false,
      app_id: APP_ID,
      bot_id: 'BQUIZBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}

export interface FoundButton {
  action_id: string;
  value?: string;
  text: string;
  url?: string;
  style?: string;
}

/** The buttons in a list of blocks, in order. */
export function buttonsIn(blocks: any[] | undefined): FoundButton[] {
  return (blocks ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements as any[])
    .filter((e) => e.type === 'button')
    .map((e) => ({ action_id: e.action_id, value: e.value, text: e.text.text, url: e.url, style: e.style }));
}

export interface FoundSelect {
  action_id: string;
  type: string;
  options: { label: string; value: string }[];
}

/** The select menus in a list of blocks, in order. */
export function selectsIn(blocks: any[] | undefined): FoundSelect[] {
  return (blocks ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements as any[])
    .filter((e) => e.type === 'static_select' || e.type === 'multi_static_select')
    .map((e) => ({ action_id: e.action_id, type: e.type, options: e.options.map((o: any) => ({ label: o.text.text, value: o.value })) }));
}

/** The mrkdwn and plain text of a list of blocks, joined by newlines (for text assertions). */
export function textOf(blocks: any[] | undefined): string {
  const out: string[] = [];
  for (const b of blocks ?? []) {
    if (b.text?.text) out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const e of b.elements ?? []) if (e.text?.text) out.push(e.text.text);
  }
  return out.join('\n');
}

/** An Events API delivery (sent as JSON) of one event, by default from TEAM. */
export function eventCallback(event: Record<string, unknown>, eventId = `Ev${next()}`, from: { teamId?: string; enterpriseId?: string; orgInstall?: boolean; botUserId?: string } = {}): string {
  const team = from.teamId ?? TEAM.id;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: team,
    ...(from.enterpriseId ? { enterprise_id: from.enterpriseId } : {}),
    api_app_id: APP_ID,
    event: { event_ts: `${1_700_000_000 + next()}.000100`, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: 1_700_000_000,
    authorizations: [{ enterprise_id: from.enterpriseId ?? null, team_id: from.orgInstall ? null : team, user_id: from.botUserId ?? 'UQUIZBOT', is_bot: true, is_enterprise_install: from.orgInstall === true }],
    is_ext_shared_channel: false,
  });
}

/** The events Slack sends when a workspace uninstalls the app, or revokes its bot token. */
export function appUninstalled(): Record<string, unknown> {
  return { type: 'app_uninstalled' };
}

export function tokensRevoked(botUserIds: string[]): Record<string, unknown> {
  return { type: 'tokens_revoked', tokens: { bot: botUserIds } };
}

/** A file shared in a direct message with the bot. */
export function fileShareInDm(userId: string, channelId: string, file: Record<string, unknown>, text = ''): Record<string, unknown> {
  return { type: 'message', subtype: 'file_share', text, files: [file], upload: true, user: userId, ts: `${1_700_000_000 + next()}.000200`, channel: channelId, channel_type: 'im', display_as_bot: false };
}
