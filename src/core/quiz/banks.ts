import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { tenantOf, type Tenant } from '../tenant.js';
import { quizStore, type QuizStore } from './store.js';

/**
 * `/quiz-admin banks [bank] [on|off]`: the banks a server learns from. A bank is on unless the
 * server turned it off (a row in tenant_banks); its daily quiz, races and schedules draw new
 * questions only from banks that are on. `/quiz bank:<id>` still asks any bank the server sees.
 */

interface BankLine {
  id: string;
  title: string;
  origin: 'content' | 'import';
  tenant: string | null;
  questions: number;
  enabled: number;
}

/** The banks a tenant sees (global ones and its own), with their state there and live question counts. */
function visibleBanks(store: QuizStore, tenant: Tenant, bankId?: string): BankLine[] {
  return store
    .q<[Tenant, Tenant, string | null, string | null], BankLine>(
      `SELECT b.id, b.title, b.origin, b.tenant, coalesce(tb.enabled, 1) enabled,
         (SELECT count(*) FROM questions q WHERE q.bank_id = b.id AND q.retired_at IS NULL) questions
       FROM banks b LEFT JOIN tenant_banks tb ON tb.tenant = ? AND tb.bank_id = b.id
       WHERE b.retired_at IS NULL AND (b.tenant IS NULL OR b.tenant = ?) AND (? IS NULL OR b.id = ?)
       ORDER BY b.origin, b.id`,
    )
    .all(tenant, tenant, bankId ?? null, bankId ?? null);
}

/** The banks a tenant sees, for option suggestions (Discord's autocomplete). */
export function bankChoices(services: Services, tenant: Tenant): { id: string; title: string }[] {
  return visibleBanks(quizStore(services), tenant).map(({ id, title }) => ({ id, title }));
}

function line(b: BankLine): string {
  const owner = b.origin === 'content' ? 'content' : b.tenant === null ? 'global import' : 'imported here';
  return md`${b.enabled ? '🟢 on ' : '⚪ off'} \`${b.id}\` ${b.title}: ${b.questions} question${b.questions === 1 ? '' : 's'} (${owner})`;
}

export function banksReply(services: Services, actor: Actor, place: Place, bankId: string | undefined, state: 'on' | 'off' | undefined, now: Date): Reply {
  const store = quizStore(services);
  const tenant = tenantOf(actor.platform, place);
  if (state && !bankId) throw new UserError('Name the bank to turn on or off, e.g. /quiz-admin banks team on.');
  if (bankId) {
    const [bank] = visibleBanks(store, tenant, bankId);
    // Another server's bank is not named here: it does not exist for this one.
    if (!bank) throw new UserError(`There is no bank "${bankId}" in this server. See them with /quiz-admin banks.`);
    if (state) {
      store
        .q(
          `INSERT INTO tenant_banks (tenant, bank_id, enabled, changed_by, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (tenant, bank_id) DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by, updated_at = excluded.updated_at`,
        )
        .run(tenant, bank.id, state === 'on' ? 1 : 0, `${actor.platform}:${actor.userId}`, now.getTime());
      const text =
        state === 'on'
          ? md`Bank \`${bank.id}\` is **on**: this server's daily quiz, races and schedules draw from it.`
          : md`Bank \`${bank.id}\` is **off**: this server's daily quiz, races and schedules no longer bring its new questions (\`/quiz bank:${bank.id}\` still asks them).`;
      return { title: 'Banks', text, visibility: 'ephemeral' };
    }
    return { title: 'Banks', text: line(bank), visibility: 'ephemeral' };
  }
  const all = visibleBanks(store, tenant);
  if (all.length === 0) return { title: 'Banks', text: 'No question banks yet. Import one with /quiz-admin import.', visibility: 'ephemeral' };
  const text =
    all.map(line).join('\n') +
    md`\n\nThe daily quiz, races and schedules take new questions from the banks that are on, one bank after another. Turn one on or off with \`/quiz-admin banks <bank> on|off\`.`;
  return { title: 'Banks', text, visibility: 'ephemeral' };
}
