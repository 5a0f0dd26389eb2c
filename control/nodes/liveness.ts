// Node liveness from heartbeat age: online → degraded → offline (laptops: awaiting_agent); their workspaces follow.
import type { MemberState, NodeStatus } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ControlConfig } from '../config.ts';
import type { NodeRow, Store } from '../db/index.ts';
import type { Log } from '../log.ts';

export type LivenessConfig = Pick<ControlConfig, 'degradedAfterMs' | 'offlineAfterMs'>;

/** Statuses that mean "gone": the node's workspaces are shown `unreachable`. */
export const GONE: readonly NodeStatus[] = ['offline', 'awaiting_agent'];

/**
 * What heartbeat age says about a node. A laptop that stops heartbeating is `awaiting_agent` (its lid is
 * closed; it re-registers), never `offline`, which reads as broken.
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

/**
 * Heartbeat liveness corrected by what peers observe in the mesh: a node its peers suspect is `suspect`; one
 * they declared dead is `partitioned` while it still heartbeats (it is cut off from the mesh, not down) and
 * gone (offline, or awaiting_agent for laptops) once its heartbeats are late too.
 */
export function withPeerView(status: NodeStatus, peer: MemberState | undefined, laptop: boolean): NodeStatus {
  if (peer === undefined || peer === 'alive' || GONE.includes(status)) return status;
  if (peer === 'suspect') return status === 'partitioned' ? status : 'suspect';
  // dead or left
  if (status === 'online') return 'partitioned';
  return laptop ? 'awaiting_agent' : 'offline';
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
  /** The mesh's view of a node (peer-observed liveness); absent without a mesh member. */
  peerState?: (nodeId: string) => MemberState | undefined;
}): Liveness {
  const { store, clock } = deps;
  return {
    async sweep() {
      const changes: { nodeId: string; from: NodeStatus; to: NodeStatus }[] = [];
      const now = clock.now();
      for (const node of await store.nodes.list()) {
        const to = withPeerView(livenessOf(node, now, deps.config), deps.peerState?.(node.id), node.laptop);
        // Heartbeats make nodes online; the sweep only ever moves a node further from online.
        const order = (s: NodeStatus) =>
          s === 'online' ? 0 : s === 'degraded' ? 1 : GONE.includes(s) ? 4 : s === 'partitioned' ? 3 : 2;
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
