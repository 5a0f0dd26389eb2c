// The raw front's forwards: whether a planned request for a workspace hosted elsewhere goes straight to its node.
import type { TokenVerifier, VerifiedToken } from '../auth/index.ts';
import type { Runtime } from '../workspaces/index.ts';
import type { FastPlan } from './fast-plan.ts';
import { HOP_HEADER, type MeshRoutes, NOT_FOR_PEERS } from './mesh-forward.ts';
import { type HopTicket, type PeerHop, type PeerTarget, socketAddress } from './peer-hop.ts';

/** What the raw front needs to forward: the registry view and the hop it shares with the full server. */
export interface FastForwardContext {
  routes: MeshRoutes;
  /** The full server's PeerHop: one breaker and one in-flight cap per host for both paths. */
  hop: PeerHop;
}

/** A forward that holds a slot at the host: settle `ticket` exactly once. */
export interface PeerForward {
  host: string;
  port: number;
  /** The request head for the hosting node's proxy. */
  head: string;
  peer: PeerTarget;
  ticket: HopTicket;
}

/**
 * The forward of a plain request whose token checked out, or undefined when the full server must answer: the
 * workspace is hosted here (or starting here), the token does not grant `http` on it, the client marked the hop
 * itself, the route is unknown, ourselves, not alive or not plain HTTP, or the host's breaker or cap refuses.
 * The checks are the full server's (mesh-forward.ts), in its order; the owner is left to the host, which knows it.
 */
export function planPeerForward(
  plan: FastPlan,
  token: VerifiedToken,
  o: FastForwardContext,
  local: { verifier: TokenVerifier; runtime: Runtime },
): PeerForward | undefined {
  if (plan.upgrade || local.runtime.get(plan.workspaceId) !== undefined) return undefined;
  if (!local.verifier.authorize(token, plan.workspaceId, undefined, 'http').ok) return undefined;
  if (plan.hopMarked) return undefined;
  const r = o.routes.route(plan.workspaceId);
  if (!r.found || r.nodeId === o.routes.selfId || !r.available || !r.host.proxyUrl) return undefined;
  const addr = socketAddress(r.host.proxyUrl);
  if (!addr) return undefined;
  const peer = { nodeId: r.nodeId, proxyUrl: r.host.proxyUrl };
  const ticket = o.hop.admit(peer);
  if ('kind' in ticket) return undefined;
  return {
    host: addr.host,
    port: addr.port,
    head: peerHead(plan, o.routes.selfId),
    peer,
    ticket,
  };
}

/** The client's head as the full server forwards it: hop-by-hop headers dropped, Authorization kept, ours added. */
function peerHead(plan: FastPlan, selfId: string): string {
  let head = `${plan.method} ${plan.target} HTTP/1.1\r\n`;
  for (const [name, value] of plan.headers) if (!NOT_FOR_PEERS.has(name)) head += `${name}: ${value}\r\n`;
  return `${head}${HOP_HEADER}: ${selfId}\r\n\r\n`;
}
