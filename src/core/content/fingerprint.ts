import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connection.js';
import { meta } from '../../db/schema.js';

const KEY = 'content_fingerprint';

/**
 * sha256 over the names and bytes of every lesson and bank file. When it equals the fingerprint
 * of the last successful sync, the database already holds exactly this content, so start-up can
 * skip parsing and validating the banks again.
 */
export function contentFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const sub of ['lessons', 'banks']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, sub)).sort();
    } catch {
      // A missing folder is part of the fingerprint too.
    }
    for (const name of names) {
      hash.update(`${sub}/${name}\0`);
      try {
        hash.update(readFileSync(join(dir, sub, name)));
      } catch {
        hash.update('\0unreadable');
      }
    }
  }
  return hash.digest('hex');
}

export function storedFingerprint(db: Db): string | undefined {
  return db.select({ value: meta.value }).from(meta).where(eq(meta.key, KEY)).get()?.value;
}

export function storeFingerprint(db: Db, fingerprint: string): void {
  db.insert(meta).values({ key: KEY, value: fingerprint }).onConflictDoUpdate({ target: meta.key, set: { value: fingerprint } }).run();
}
