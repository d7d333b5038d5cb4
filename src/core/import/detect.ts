import { extname } from 'node:path';
import { IMPORT_FORMATS, type ImportFormat } from './types.js';

/**
 * Which format a file is in: from its extension where that decides, from its content where the
 * extension is ambiguous (.txt holds GIFT, Aiken or Anki exports alike).
 */

const BY_EXTENSION = new Map<string, ImportFormat>([
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.json', 'json'],
  ['.csv', 'csv'],
  ['.tsv', 'tsv'],
  ['.tab', 'tsv'],
  ['.gift', 'gift'],
  ['.aiken', 'aiken'],
]);

export function isImportFormat(s: string): s is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(s);
}

/** The format the content looks like, or undefined when nothing fits. */
export function sniffFormat(text: string): ImportFormat | undefined {
  const head = text.slice(0, 64 * 1024);
  const firstLine = head.split('\n', 1)[0] ?? '';
  if (/^#(separator|html|notetype|deck|tags|tags column|guid column|columns|notetype column|deck column):/i.test(firstLine)) return 'anki';
  if (/^\s*\{/.test(head) && /"questions"\s*:/.test(head)) return 'json';
  if (/^\s*ANSWER\s*:\s*\S/m.test(head) && /^\s*[A-Z][.)]\s+\S/m.test(head)) return 'aiken';
  if (/^questions\s*:/m.test(head) && /^(id|title)\s*:/m.test(head)) return 'yaml';
  if (/^\s*\$CATEGORY:/m.test(head) || /^\s*::[^\n]*?::/m.test(head) || /(^|[^\\])\{\s*([=~]|T\s*\}|F\s*\}|TRUE\s*\}|FALSE\s*\}|#)/m.test(head)) {
    return 'gift';
  }
  const cells = firstLine.toLowerCase().split(/[,;\t]/).map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cells.includes('question') || cells.includes('prompt')) return firstLine.includes('\t') ? 'tsv' : 'csv';
  if (/^sep=.$/i.test(firstLine)) return 'csv';
  if (firstLine.includes('\t')) return 'anki';
  return undefined;
}

export function detectFormat(fileName: string, text: string, explicit?: ImportFormat): ImportFormat | undefined {
  if (explicit) return explicit;
  return BY_EXTENSION.get(extname(fileName).toLowerCase()) ?? sniffFormat(text);
}
