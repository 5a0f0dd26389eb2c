// Routing: workspace → hosting member, with that member's liveness, so the proxy can forward or answer 503.
import type { MemberState, WorkspaceEntryValue } from '../contract/index.ts';
import { type MeshConfig, suspicionMinMs } from './config.ts';

/** One origin's claim to host a workspace, as held in the registry. */
export interface WorkspaceClaim {
  origin: string;
  value: WorkspaceEntryValue;
  /** When this node first saw the claim; the earliest live claim is the incumbent. */
  firstSeenAt: number;
}

/** Where a hosting member can be reached, from its member entry and the member table. */
export interface HostView {
  state: MemberState | 'unknown';
  /** Mesh address from the membership table. */
  addr?: string;
  /** Proxy base URL from its member entry. */
  proxyUrl?: string;
}

/** The answer for one workspace. `available: false` means: answer 503 with `Retry-After: retryAfterSeconds`. */
export type Route =
  | { found: false }
  | {
      found: true;
      workspace: WorkspaceEntryValue;
      nodeId: string;
      host: HostView;
      available: boolean;
      retryAfterSeconds: number;
      /** Other origins that claim the same workspace (ignored; a sign of a stale or rogue member). */
      conflicts: string[];
    };

const rank = (s: HostView['state']) => (s === 'alive' ? 0 : s === 'suspect' ? 1 : 2);

/**
 * Picks the hosting member among `claims`: live hosts before dead ones, then the incumbent (first seen), so a
 * member that later claims a workspace another live member already hosts is ignored.
 */
export function routeWorkspace(
  claims: readonly WorkspaceClaim[],
  host: (origin: string) => HostView,
  config: MeshConfig,
  liveMembers: number,
): Route {
  if (claims.length === 0) return { found: false };
  const ranked = claims
    .map((c) => ({ c, h: host(c.origin) }))
    .sort(
      (a, b) =>
        rank(a.h.state) - rank(b.h.state) ||
        a.c.firstSeenAt - b.c.firstSeenAt ||
        (a.c.origin < b.c.origin ? -1 : a.c.origin > b.c.origin ? 1 : 0),
    );
  const best = ranked[0] as (typeof ranked)[number];
  const available = best.h.state === 'alive';
  // Suspect: the suspicion resolves (refuted or dead) within about its minimum timeout.
  // Dead or unknown: a restart or re-placement shows up within about one push-pull round.
  const retryMs =
    best.h.state === 'suspect'
      ? suspicionMinMs(config, liveMembers)
      : Math.min(config.pushPullIntervalMs, 30_000);
  return {
    found: true,
    workspace: best.c.value,
    nodeId: best.c.origin,
    host: best.h,
    available,
    retryAfterSeconds: available ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
    conflicts: ranked.slice(1).map((r) => r.c.origin),
  };
}
