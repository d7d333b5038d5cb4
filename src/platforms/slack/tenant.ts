/**
 * The server id of a Slack request: the workspace, or for an app installed across an Enterprise
 * Grid organisation, the organisation (one install, one tenant, whichever workspace a member is in).
 */
export function slackServerId(ids: { enterprise?: string | null | undefined; team?: string | null | undefined; orgInstall?: boolean | undefined }): string {
  if (ids.orgInstall && ids.enterprise) return ids.enterprise;
  return ids.team ?? '';
}
