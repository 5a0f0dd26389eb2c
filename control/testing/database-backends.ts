// The two databases every store contract suite runs against: an embedded libSQL file and a real sqld process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from './sqld.ts';

export interface DatabaseBackend {
  name: string;
  /** A fresh, empty database: its URL, and how to throw it away. */
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

export const DATABASE_BACKENDS: DatabaseBackend[] = [
  {
    name: 'an embedded libSQL file',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'warren-db-'));
      return {
        url: `file:${join(dir, 'control.db')}`,
        stop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  { name: 'a real sqld process', start: startSqld },
];
