import type { App } from '../../app.js';
import type { Logger } from '../../logger.js';
import type { PlatformHandle } from '../../main.js';

export async function startDiscord(_app: App, _logger: Logger): Promise<PlatformHandle> {
  throw new Error('the Discord adapter is not built yet');
}
