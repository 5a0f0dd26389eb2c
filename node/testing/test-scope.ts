// testScope(): what a node test starts (issuers, data dirs, anything else), undone newest first after each test.
import { rmSync } from 'node:fs';
import { startTestIssuer, type TestIssuer } from './test-issuer.ts';
import { tempDataDir } from './test-node.ts';

/** What a test started, undone by `cleanup()` (call it from afterEach). */
export interface TestScope {
  /** Runs `undo` at cleanup, before everything deferred earlier. */
  defer(undo: () => Promise<void> | void): void;
  /** A test issuer, stopped at cleanup. */
  issuer(o?: Parameters<typeof startTestIssuer>[0]): Promise<TestIssuer>;
  /** A temp data dir, removed at cleanup. */
  dataDir(): string;
  cleanup(): Promise<void>;
}

export function testScope(): TestScope {
  const undos: (() => Promise<void> | void)[] = [];
  return {
    defer: (undo) => void undos.push(undo),
    async issuer(o) {
      const i = await startTestIssuer(o);
      undos.push(() => i.stop());
      return i;
    },
    dataDir() {
      const d = tempDataDir();
      undos.push(() => rmSync(d, { recursive: true, force: true }));
      return d;
    },
    async cleanup() {
      for (const undo of undos.splice(0).reverse()) await undo();
    },
  };
}
