import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/cli.js';

/**
 * Each stress test file records its section (a table of figures); when the run ends the sections
 * are joined into reports/reliability.md, in a fixed order.
 */

export interface Section {
  /** Sort key and file name. */
  id: string;
  title: string;
  intro?: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

const ORDER = ['load', 'load-http', 'crash', 'crash-http', 'faults', 'abuse', 'tenants', 'endpoint'];
export const reportsDir = join(repoRoot, 'reports');
const sectionsDir = join(reportsDir, '.stress-sections');

export function recordSection(section: Section): void {
  mkdirSync(sectionsDir, { recursive: true });
  writeFileSync(join(sectionsDir, `${section.id}.json`), JSON.stringify(section, null, 2));
}

export function clearSections(): void {
  rmSync(sectionsDir, { recursive: true, force: true });
}

const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderReport(sections: Section[], wallSeconds: number): string {
  const out = [
    '# Reliability report',
    '',
    `Written by \`npm run test:stress\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} CPU cores, load average ${loadavg()[0]!.toFixed(1)} at the end, suite wall time ${Math.round(wallSeconds)} s. All traffic is loopback: the bot runs as its own process against the local Discord and Slack fakes and the fake MoE endpoint.`,
    '',
  ];
  for (const s of [...sections].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id))) {
    out.push(`## ${s.title}`, '');
    if (s.intro) out.push(s.intro, '');
    out.push(`| ${s.columns.map(cell).join(' | ')} |`, `|${s.columns.map(() => ' --- ').join('|')}|`);
    for (const r of s.rows) out.push(`| ${r.map(cell).join(' | ')} |`);
    out.push('');
    for (const n of s.notes ?? []) out.push(`- ${n}`);
    if (s.notes?.length) out.push('');
  }
  return out.join('\n');
}

/** Joins the recorded sections into reports/reliability.md; returns its path (undefined when none). */
export function writeReport(wallSeconds: number): string | undefined {
  if (!existsSync(sectionsDir)) return undefined;
  const sections = readdirSync(sectionsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(sectionsDir, f), 'utf8')) as Section);
  if (!sections.length) return undefined;
  const path = join(reportsDir, 'reliability.md');
  writeFileSync(path, renderReport(sections, wallSeconds));
  rmSync(sectionsDir, { recursive: true, force: true });
  return path;
}
