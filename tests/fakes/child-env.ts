/**
 * This process's environment for a bot started as a child process, without any Discord or Slack
 * setting: a developer's own tokens are never used, and the fake's settings are added on top.
 */
export function envWithoutPlatforms(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(DISCORD|SLACK)_/.test(k)) env[k] = v;
  return env;
}
