// Node liveness: heartbeats and the peers' view in the mesh, read together as one decision table; workspaces follow.
import type { MemberState, NodeStatus } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ControlConfig } from '../config.ts';
import type { NodeRow, Store } from '../db/index.ts';
import type { Log } from '../log.ts';

export type LivenessConfig = Pick<ControlConfig, 'degradedAfterMs' | 'offlineAfterMs'>;

/** Statuses that mean "gone": the node's workspaces are shown `unreachable`. */
export const GONE: readonly NodeStatus[] = ['offline', 'awaiting_agent'];

/**
 * What the control plane hears from a node. `fresh`: a recent heartbeat that came after its peers lost it (if
 * they did). `late`: older than `degradedAfterMs`, or from before the peers lost it — what cut the node off
 * from its peers silenced it too. `silent`: nothing for `offlineAfterMs`.
 */
export type HeartbeatFreshness = 'fresh' | 'late' | 'silent';

/**
 * How fresh a node's last heartbeat is at `now`. `lostAt` is when the peers' view of it left `alive` (absent
 * while they reach it): a heartbeat from before that moment says nothing about whether the node still runs.
 */
export function freshnessOf(
  node: Pick<NodeRow, 'lastHeartbeatAt' | 'createdAt'>,
  now: number,
  config: LivenessConfig,
  lostAt?: number,
): HeartbeatFreshness {
  const last = node.lastHeartbeatAt ?? node.createdAt;
  const age = now - last;
  if (age >= config.offlineAfterMs) return 'silent';
  if (age >= config.degradedAfterMs) return 'late';
  if (lostAt !== undefined && last < lostAt) return 'late';
  return 'fresh';
}

/**
 * The decision table (peer `undefined`: no mesh member, or the node never joined the mesh; read as alive):
 *
 * | heartbeat | alive    | suspect     | dead        | left        |
 * |-----------|----------|-------------|-------------|-------------|
 * | fresh     | online   | partitioned | partitioned | partitioned |
 * | late      | degraded | suspect     | gone        | gone        |
 * | silent    | gone     | gone        | gone        | gone        |
 *
 * gone is `offline`, for a laptop `awaiting_agent` (its lid is closed; it re-registers), never `offline`, which
 * reads as broken. `partitioned` needs heartbeats arriving while peers cannot reach the node: a node killed or
 * stopped is gone the moment its peers declare it dead or hear it leave, not partitioned until its last
 * heartbeat ages. A suspicion alone, without a heartbeat since, is `suspect`: the mesh is still checking.
 */
export function nodeStatusOf(
  heartbeat: HeartbeatFreshness,
  peer: MemberState | undefined,
  laptop: boolean,
): NodeStatus {
  const gone = laptop ? 'awaiting_agent' : 'offline';
  if (heartbeat === 'silent') return gone;
  if (peer === undefined || peer === 'alive') return heartbeat === 'fresh' ? 'online' : 'degraded';
  if (heartbeat === 'fresh') return 'partitioned';
  return peer === 'suspect' ? 'suspect' : gone;
}

export interface Liveness {
  /** Re-evaluates every node; returns the nodes whose status changed. */
  sweep(): Promise<{ nodeId: string; from: NodeStatus; to: NodeStatus }[]>;
  /** The status a node takes as its heartbeat arrives at `at`: online, unless its peers cannot reach it. */
  onHeartbeat(node: Pick<NodeRow, 'id' | 'laptop' | 'status'>, at: number): NodeStatus;
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
  /**
   * Whether this process has the peers' view now (runs the mesh member); false on a replica that does not
   * hold the duties lease. Default: whenever `peerState` is given.
   */
  seesPeers?: () => boolean;
}): Liveness {
  const { store, clock } = deps;
  /**
   * When this control plane first saw each node's peer view leave `alive` (its own clock, so it compares with
   * heartbeat times); forgotten once peers reach the node again. Server code sweeps on every member change,
   * so the first sight is the moment the change arrives.
   */
  const lostAt = new Map<string, number>();
  const peerView = (nodeId: string, now: number) => {
    const state = deps.peerState?.(nodeId);
    if (state === undefined || state === 'alive') {
      lostAt.delete(nodeId);
      return { state };
    }
    const since = lostAt.get(nodeId) ?? now;
    lostAt.set(nodeId, since);
    return { state, lostAt: since };
  };
  return {
    async sweep() {
      const changes: { nodeId: string; from: NodeStatus; to: NodeStatus }[] = [];
      const now = clock.now();
      const nodes = await store.nodes.list();
      for (const id of lostAt.keys()) if (!nodes.some((n) => n.id === id)) lostAt.delete(id);
      for (const node of nodes) {
        const peer = peerView(node.id, now);
        const to = nodeStatusOf(freshnessOf(node, now, deps.config, peer.lostAt), peer.state, node.laptop);
        // Only a heartbeat or a re-registration brings a gone node back: they restore its workspaces too.
        if (to === node.status || (GONE.includes(node.status) && !GONE.includes(to))) continue;
        if (!(await store.nodes.setStatusIf(node.id, node.status, to))) continue; // a heartbeat won the race
        changes.push({ nodeId: node.id, from: node.status, to });
        deps.log.info('node liveness changed', { node: node.id, from: node.status, to });
        if (GONE.includes(to)) await store.workspaces.markUnreachable(node.id, now);
      }
      return changes;
    },
    onHeartbeat(node, at) {
      // A replica without the mesh member has no peers' view: a node its peers cannot reach stays partitioned
      // (the member's replica judges that), rather than flapping back to online with each heartbeat here.
      if (deps.seesPeers?.() === false) return node.status === 'partitioned' ? 'partitioned' : 'online';
      // Seen here first, the loss dates from no later than this heartbeat, which therefore counts as after it.
      return nodeStatusOf('fresh', peerView(node.id, at).state, node.laptop);
    },
    async returned(nodeId) {
      await store.workspaces.restoreReachable(nodeId, clock.now());
    },
  };
}
