import { UserError } from '../errors.js';
import type { Actor, Place, Reply } from '../interaction.js';
import { md } from '../markup.js';
import type { Services } from '../services.js';
import { quizStore } from './store.js';
import { tenantOf, type Tenant } from '../tenant.js';

interface GroupRow {
  id: number;
  name: string;
}

function groupOf(services: Services, key: Tenant, userId: number): GroupRow | undefined {
  return quizStore(services)
    .q<[string, number], GroupRow>('SELECT g.id, g.name FROM group_members m JOIN study_groups g ON g.id = m.group_id WHERE m.server_key = ? AND m.user_id = ?')
    .get(key, userId);
}

function cleanName(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._'-]{0,39}$/u.test(clean)) {
    throw new UserError('A group name is 1 to 40 letters, digits, spaces and . _ \' - characters.');
  }
  return clean;
}

export function createGroup(services: Services, actor: Actor, place: Place, rawName: string, now: Date): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const user = store.user(actor, key);
  const name = cleanName(rawName);
  const current = groupOf(services, key, user.id);
  if (current) throw new UserError(`You are in ${current.name} already. Leave it first with /group leave.`);
  store.sqlite.transaction(() => {
    const created = store
      .q('INSERT INTO study_groups (server_key, name, name_key, created_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id')
      .get(key, name, name.toLowerCase(), user.id, now.getTime()) as { id: number } | undefined;
    if (!created) throw new UserError(`A group called ${name} exists already. Join it with /group join ${name}.`);
    store.q('INSERT INTO group_members (group_id, server_key, user_id, joined_at) VALUES (?, ?, ?, ?)').run(created.id, key, user.id, now.getTime());
  })();
  return { text: md`Created the study group **${name}** and joined it. Others join with \`/group join ${name}\`.`, visibility: 'public' };
}

export function joinGroup(services: Services, actor: Actor, place: Place, rawName: string, now: Date): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const user = store.user(actor, key);
  const name = cleanName(rawName);
  const group = store.q<[string, string], GroupRow>('SELECT id, name FROM study_groups WHERE server_key = ? AND name_key = ?').get(key, name.toLowerCase());
  if (!group) throw new UserError(`There is no group called ${name}. See /group list, or create it with /group create.`);
  const current = groupOf(services, key, user.id);
  if (current?.id === group.id) return { text: md`You are already in ${group.name}.`, visibility: 'ephemeral' };
  if (current) throw new UserError(`You are in ${current.name}. Leave it first with /group leave (one group per server).`);
  store.q('INSERT INTO group_members (group_id, server_key, user_id, joined_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(group.id, key, user.id, now.getTime());
  return { text: md`You joined **${group.name}**.`, visibility: 'public' };
}

export function leaveGroup(services: Services, actor: Actor, place: Place): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const user = store.user(actor, key);
  const group = groupOf(services, key, user.id);
  if (!group) throw new UserError('You are not in a study group.');
  store.sqlite.transaction(() => {
    store.q('DELETE FROM group_members WHERE server_key = ? AND user_id = ?').run(key, user.id);
    // A group with no members left is removed; its name becomes free again.
    store.q('DELETE FROM study_groups WHERE id = ? AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?)').run(group.id, group.id);
  })();
  return { text: md`You left ${group.name}.`, visibility: 'ephemeral' };
}

export function listGroups(services: Services, actor: Actor, place: Place): Reply {
  const store = quizStore(services);
  const key = tenantOf(actor.platform, place);
  const rows = store
    .q<[string], { name: string; members: number }>(
      'SELECT g.name, count(m.user_id) members FROM study_groups g LEFT JOIN group_members m ON m.group_id = g.id WHERE g.server_key = ? GROUP BY g.id ORDER BY members DESC, g.name',
    )
    .all(key);
  if (rows.length === 0) return { text: md`No study groups yet. Create one with \`/group create <name>\`.`, visibility: 'ephemeral' };
  return { title: 'Study groups', text: rows.map((r) => md`• ${r.name} — ${r.members} member${r.members === 1 ? '' : 's'}`).join('\n'), visibility: 'ephemeral' };
}
