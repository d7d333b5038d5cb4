import type { Command } from 'commander';
import type { Config } from './config.js';
import { openDatabase } from './db/connection.js';
import { UserError } from './core/errors.js';
import { deleteTenantData, type TenantRows } from './core/tenant-data.js';
import { parseTenant } from './core/tenant.js';
import { acquireLock } from './ops/lock.js';
import { installationPlace, listInstallations, removeInstallation } from './platforms/slack/installations.js';

/**
 * `quizbot tenant delete <tenant>`: deletes everything one server or workspace left in the
 * database (a Slack workspace's data stays after it uninstalls the app, until this is run). It
 * shows what it would delete and deletes only with --yes, and only while the bot is stopped.
 * `quizbot slack installs` and `quizbot slack uninstall <team>`: the workspaces that installed the
 * app by OAuth, and removing one's installation (its tokens) by hand.
 */

function describe(rows: TenantRows): string[] {
  return Object.entries(rows).map(([table, n]) => `  ${table}: ${n}`);
}

export function registerTenantCommands(program: Command, config: () => Config): void {
  program
    .command('tenant')
    .description("a server's or workspace's data")
    .command('delete')
    .description('delete all data of one Slack workspace or Discord server (boards, banks, schedules, sessions, learners seen nowhere else); without --yes, show what would go')
    .argument('<tenant>', 'slack:<team id>, slack:<enterprise id> (org-wide install) or discord:<server id>')
    .option('--yes', 'delete (the bot must be stopped)')
    .action((text: string, opts: { yes?: boolean }, cmd: Command) => {
      const tenant = parseTenant(text);
      if (!tenant) cmd.error(`error: the tenant must look like slack:<team id> or discord:<server id>, not "${text}"`);
      const c = config();
      if (c.DATABASE_PATH === ':memory:') throw new UserError('DATABASE_PATH is :memory:; there is nothing to delete.');
      // Refused while the bot runs: it keeps boards and sessions in memory.
      const lock = acquireLock(c.DATABASE_PATH, 'tenant delete', { foreignHost: 'alive' });
      try {
        const db = openDatabase(c.DATABASE_PATH);
        try {
          const rows = deleteTenantData(db.$client, tenant, { preview: !opts.yes });
          const total = Object.values(rows).reduce((a, b) => a + b, 0);
          if (total === 0) return console.log(`Nothing is stored for ${tenant}.`);
          if (!opts.yes) {
            console.log([`${tenant}: ${total} rows would be deleted:`, ...describe(rows), `Nothing was deleted. To delete them, stop the bot and run: quizbot tenant delete ${tenant} --yes`].join('\n'));
            return;
          }
          console.log([`${tenant}: deleted ${total} rows:`, ...describe(rows)].join('\n'));
        } finally {
          db.$client.close();
        }
      } finally {
        lock.release();
      }
    });

  const slack = program.command('slack').description('Slack workspaces that installed the app by OAuth');
  slack
    .command('installs')
    .description('list the workspaces that installed the app (never their tokens)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const db = openDatabase(config().DATABASE_PATH);
      try {
        const list = listInstallations(db);
        if (opts.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        if (!list.length) return console.log('No Slack workspace has installed the app by OAuth.');
        for (const i of list) {
          const expires = i.tokenExpiresAt ? `, token rotates (expires ${new Date(i.tokenExpiresAt * 1000).toISOString()})` : '';
          const name = [i.teamName, i.orgInstall ? 'org-wide' : undefined].filter(Boolean).join(', ');
          console.log(`${i.serverId}${name ? ` (${name})` : ''}: installed ${new Date(i.installedAt).toISOString()} by ${i.installedBy ?? 'unknown'}${expires}`);
        }
      } finally {
        db.$client.close();
      }
    });
  slack
    .command('uninstall')
    .description("forget a workspace's installation and its tokens (its quiz data stays: see quizbot tenant delete)")
    .argument('<team>', 'the team id, or the enterprise id of an org-wide install')
    .option('--yes', 'remove it')
    .action((team: string, opts: { yes?: boolean }) => {
      const db = openDatabase(config().DATABASE_PATH);
      try {
        if (!installationPlace(db, team)) return console.log(`No installation of ${team}.`);
        if (!opts.yes) return console.log(`Nothing was removed. To remove the installation of ${team}, run: quizbot slack uninstall ${team} --yes`);
        removeInstallation(db, team);
        console.log(`Removed the installation of ${team}: the bot no longer answers there until the app is installed again. Its quiz data stays.`);
      } finally {
        db.$client.close();
      }
    });
}
