// Waiting for a provisioned machine's node to join: the one poll both the cloud path and local nodes use.
import type { Store } from '../db/index.ts';

/** How often the poll looks: a node row appears once, so a short interval only costs a cheap read. */
const POLL_MS = 50;

/**
 * Resolves once the node `nodeId` has joined (its row exists) and `also()` holds, looking every 50 ms; throws
 * `message` after `timeoutMs`. Real time, not the injected clock: it waits on real machines.
 */
export async function waitForJoin(
  store: Pick<Store, 'nodes'>,
  nodeId: string,
  o: { timeoutMs: number; message: string; also?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (!((o.also?.() ?? true) && (await store.nodes.get(nodeId)))) {
    if (Date.now() > deadline) throw new Error(o.message);
    await Bun.sleep(POLL_MS);
  }
}
