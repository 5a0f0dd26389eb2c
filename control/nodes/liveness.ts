// Node liveness from heartbeat age: online → degraded → offline (laptops: awaiting_agent); their workspaces follow.
import type { NodeStatus } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ControlConfig } from '../config.ts';
import type { NodeRow, Store } from '../db/index.ts';
import type { Log } from '../log.ts';

export type LivenessConfig = Pick<ControlConfig, 'degradedAfterMs' | 'offlineAfterMs'>;

/** Statuses that mean "gone": the node's workspaces are shown `unreachable`. */
export const GONE: readonly NodeStatus[] = ['offline', 'awaiting_agent'];

/**
 * What heartbeat age says about a node. A laptop that stops heartbeating is `awaiting_agent` (its lid is
 * closed; it re-registers), never `offline`, which reads as broken (LESSONS 8).
 */
export function livenessOf(
  node: Pick<NodeRow, 'lastHeartbeatAt' | 'createdAt' | 'laptop'>,
  now: number,
  config: LivenessConfig,
): NodeStatus {
  const age = now - (node.lastHeartbeatAt ?? node.createdAt);
  if (age >= config.offlineAfterMs) return node.laptop ? 'awaiting_agent' : 'offline';
  if (age >= config.degradedAfterMs) return 'degraded';
  return 'online';
}

export interface Liveness {
  /** Re-evaluates every node; returns the nodes whose status changed. */
  sweep(): Promise<{ nodeId: string; from: NodeStatus; to: NodeStatus }[]>;
  /** A node is back (heartbeat or re-registration): its unreachable workspaces get their status back. */
  returned(nodeId: string): Promise<void>;
}

export function createLiveness(deps: {
  store: Store;
  clock: Clock;
  log: Log;
  config: LivenessConfig;
}): Liveness {
  const { store, clock } = deps;
  return {
    async sweep() {
      const changes: { nodeId: string; from: NodeStatus; to: NodeStatus }[] = [];
      const now = clock.now();
      for (const node of await store.nodes.list()) {
        const to = livenessOf(node, now, deps.config);
        // Heartbeats make nodes online; the sweep only ever moves a node further from online.
        const order = (s: NodeStatus) =>
          s === 'online' ? 0 : s === 'degraded' ? 1 : GONE.includes(s) ? 3 : 2;
        if (to === node.status || order(to) < order(node.status)) continue;
        if (!(await store.nodes.setStatusIf(node.id, node.status, to))) continue; // a heartbeat won the race
        changes.push({ nodeId: node.id, from: node.status, to });
        deps.log.info('node liveness changed', { node: node.id, from: node.status, to });
        if (GONE.includes(to)) await store.workspaces.markUnreachable(node.id, now);
      }
      return changes;
    },
    async returned(nodeId) {
      await store.workspaces.restoreReachable(nodeId, clock.now());
    },
  };
}
