// startTestNode(): a real node in this process, on port 0 with a temp data dir, joined to a (test) control plane.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localNodeConfig, type NodeConfig } from '../config.ts';
import { type RunningNode, startNode } from '../main.ts';

export interface TestNodeOptions {
  controlUrl: string;
  joinToken?: string;
  /** Reuse a data dir (to restart a node); default a fresh temp dir. */
  dataDir?: string;
  /** Keep the same listen port across a restart. */
  port?: number;
  configure?: (c: NodeConfig) => void;
}

/** A node for tests; `cleanup()` stops it and removes its temp dir. */
export interface TestNode extends RunningNode {
  /** Every line the node logged, oldest first. */
  logLines: string[];
  cleanup(): Promise<void>;
}

/** A temp directory for a node's data. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'warren-node-'));
}

/** Starts a real node with test timings. */
export async function startTestNode(o: TestNodeOptions): Promise<TestNode> {
  const config = localNodeConfig();
  config.controlUrl = o.controlUrl;
  config.joinToken = o.joinToken;
  config.dataDir = o.dataDir ?? tempDataDir();
  config.name = 'test-node';
  if (o.port !== undefined) config.listen.port = o.port;
  o.configure?.(config);
  const lines: string[] = [];
  const node = await startNode(config, { log: (l) => lines.push(l), joinTimeoutMs: 5_000 });
  return Object.assign(node, {
    logLines: lines,
    async cleanup() {
      await node.stop();
      if (!o.dataDir) rmSync(config.dataDir, { recursive: true, force: true });
    },
  });
}
