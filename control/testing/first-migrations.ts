// Databases of an older release for upgrade tests: a copy of the migrations folder cut after the first n.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIGRATIONS = join(import.meta.dir, '..', 'db', 'migrations');

function journal(): { entries: { tag: string }[] } {
  return JSON.parse(readFileSync(join(MIGRATIONS, 'meta/_journal.json'), 'utf8'));
}

/** A copy of the migrations folder holding only the first `n` migrations (a database of an older release). */
export function firstMigrations(n: number): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'warren-migrations-'));
  mkdirSync(join(dir, 'meta'));
  const cut = journal();
  cut.entries = cut.entries.slice(0, n);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(cut));
  for (const e of cut.entries) cpSync(join(MIGRATIONS, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How many migrations precede `tag`: `firstMigrations(migrationsBefore(tag))` stops just short of it. */
export function migrationsBefore(tag: string): number {
  const i = journal().entries.findIndex((e) => e.tag === tag);
  if (i < 0) throw new Error(`no migration ${tag}`);
  return i;
}
