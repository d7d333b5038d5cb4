/**
 * The server id of a Slack request: the workspace, or for an app installed across an Enterprise
 * Grid organisation, the organisation (one install, one tenant, whichever workspace a member is in).
 */
export function slackServerId(ids: { enterprise?: string | null | undefined; team?: string | null | undefined; orgInstall?: boolean | undefined }): string {
  if (ids.orgInstall && ids.enterprise) return ids.enterprise;
  return ids.team ?? '';
}

/** The server id of a request's context (Bolt's), an installation query or an authorization. */
export function contextServerId(c: { enterpriseId?: string | undefined; teamId?: string | undefined; isEnterpriseInstall?: boolean | undefined }): string {
  return slackServerId({ enterprise: c.enterpriseId, team: c.teamId, orgInstall: c.isEnterpriseInstall });
}

/** The server id of an interactive payload: a button click or a modal submission. */
export function payloadServerId(body: { enterprise?: { id: string } | null; team?: { id: string } | null; user: { team_id?: string }; is_enterprise_install?: boolean }): string {
  return slackServerId({ enterprise: body.enterprise?.id, team: body.team?.id ?? body.user.team_id, orgInstall: body.is_enterprise_install });
}
