import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import { eq, getTableColumns } from 'drizzle-orm';
import type { Db } from '../../db/connection.js';
import { SealError, type SecretBox } from '../../db/encryption.js';
import { slackInstallations } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import { contextServerId, slackServerId } from './tenant.js';

/** Where an installation's workspace is, without its tokens. */
export interface InstallationPlace {
  serverId: string;
  teamId: string | null;
  enterpriseId: string | null;
  orgInstall: boolean;
}

/** What an operator may see of an installation (never a token). */
export interface InstallationSummary extends InstallationPlace {
  teamName: string | null;
  botUserId: string | null;
  installedBy: string | null;
  tokenExpiresAt: number | null;
  installedAt: number;
  updatedAt: number;
}

/** The failure for a workspace the app is not installed in (never was, or was uninstalled). */
export function notInstalled(serverId: string): Error {
  return new Error(`the Slack app is not installed in ${serverId || 'an unnamed workspace'}`);
}

/** The sealed installation of this workspace, bound to its row. */
const sealContext = (serverId: string) => `slack-installation:${serverId}`;

/** The tenant's server id of an installation: the team, or the organisation of an org-wide install. */
function installationServerId(installation: Pick<Installation, 'team' | 'enterprise' | 'isEnterpriseInstall'>): string {
  return slackServerId({ enterprise: installation.enterprise?.id, team: installation.team?.id, orgInstall: installation.isEnterpriseInstall === true });
}

/** Where a workspace's installation is (for authorizing outside a request), or undefined. Needs no key. */
export function installationPlace(db: Db, serverId: string): InstallationPlace | undefined {
  return db
    .select({ serverId: slackInstallations.serverId, teamId: slackInstallations.teamId, enterpriseId: slackInstallations.enterpriseId, orgInstall: slackInstallations.orgInstall })
    .from(slackInstallations)
    .where(eq(slackInstallations.serverId, serverId))
    .get();
}

/** Every installation, without tokens. Needs no key. */
export function listInstallations(db: Db): InstallationSummary[] {
  const { sealed: _sealed, ...columns } = getTableColumns(slackInstallations);
  return db.select(columns).from(slackInstallations).orderBy(slackInstallations.serverId).all();
}

/** Removes a workspace's installation (its tokens); true when there was one. Needs no key. */
export function removeInstallation(db: Db, serverId: string): boolean {
  return db.delete(slackInstallations).where(eq(slackInstallations.serverId, serverId)).run().changes > 0;
}

/**
 * Bolt's installation store, in the bot's database: one row per workspace (or organisation, for
 * an org-wide install), the installation sealed with INSTALLATION_ENCRYPTION_KEY. Bolt stores
 * here after the OAuth redirect and after each token rotation, and fetches on every request.
 */
export class SlackInstallations implements InstallationStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>): Promise<void> {
    this.store(installation);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    return this.fetch(contextServerId(query));
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    this.remove(contextServerId(query));
  }

  /** Stores (or replaces) an installation; returns its server id. */
  store(installation: Installation): string {
    const serverId = installationServerId(installation);
    if (!serverId) throw new Error('a Slack installation names neither its workspace nor its organisation');
    const now = this.now();
    const columns = {
      teamId: installation.team?.id ?? null,
      enterpriseId: installation.enterprise?.id ?? null,
      orgInstall: installation.isEnterpriseInstall === true,
      teamName: installation.team?.name ?? installation.enterprise?.name ?? null,
      botUserId: installation.bot?.userId ?? null,
      installedBy: installation.user?.id ?? null,
      tokenExpiresAt: installation.bot?.expiresAt ?? null,
      sealed: this.box.seal(JSON.stringify(installation), sealContext(serverId)),
      updatedAt: now,
    };
    const before = this.db.select({ at: slackInstallations.installedAt }).from(slackInstallations).where(eq(slackInstallations.serverId, serverId)).get();
    this.db
      .insert(slackInstallations)
      .values({ serverId, ...columns, installedAt: now })
      .onConflictDoUpdate({ target: slackInstallations.serverId, set: columns })
      .run();
    if (!before) this.logger.info({ server: serverId, orgInstall: columns.orgInstall }, 'slack: app installed in a workspace');
    else this.logger.debug({ server: serverId }, 'slack: installation updated');
    return serverId;
  }

  /** The installation of a workspace; throws notInstalled() when there is none. */
  fetch(serverId: string): Installation {
    const row = this.db.select({ sealed: slackInstallations.sealed }).from(slackInstallations).where(eq(slackInstallations.serverId, serverId)).get();
    if (!row) throw notInstalled(serverId);
    try {
      return JSON.parse(this.box.open(row.sealed, sealContext(serverId))) as Installation;
    } catch (err) {
      if (err instanceof SealError) {
        this.logger.error({ server: serverId }, 'slack: a stored installation does not open with INSTALLATION_ENCRYPTION_KEY (was the key changed?)');
      }
      throw err;
    }
  }

  /** Removes a workspace's installation (its tokens); true when there was one. */
  remove(serverId: string): boolean {
    const gone = removeInstallation(this.db, serverId);
    if (gone) this.logger.info({ server: serverId }, 'slack: installation removed; the workspace\'s quiz data stays');
    return gone;
  }

  /** Where a workspace's installation is (for authorizing outside a request), or undefined. */
  place(serverId: string): InstallationPlace | undefined {
    return installationPlace(this.db, serverId);
  }

  /** Every installation, without tokens. */
  list(): InstallationSummary[] {
    return listInstallations(this.db);
  }

  /** The server ids of installations that do not open with this key (a changed key shows here). */
  unreadable(): string[] {
    const rows = this.db.select({ serverId: slackInstallations.serverId, sealed: slackInstallations.sealed }).from(slackInstallations).all();
    return rows.filter((r) => {
      try {
        this.box.open(r.sealed, sealContext(r.serverId));
        return false;
      } catch {
        return true;
      }
    }).map((r) => r.serverId);
  }
}
