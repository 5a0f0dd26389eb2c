// The databases the store's contract suites run against: an embedded libSQL file and a real sqld process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSqld } from './sqld.ts';

/** One database implementation: `start()` gives a fresh, empty database URL and a way to remove it. */
export interface StoreBackend {
  name: string;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

export const STORE_BACKENDS: StoreBackend[] = [
  {
    name: 'an embedded libSQL file',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
      return {
        url: `file:${join(dir, 'control.db')}`,
        stop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  { name: 'a real sqld process', start: startSqld },
];
