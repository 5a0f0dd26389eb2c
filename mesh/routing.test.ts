// routeWorkspace: the hosting member, its liveness, and which claim wins when two origins claim one workspace.
import { describe, expect, it } from 'bun:test';
import { localMeshConfig } from './config.ts';
import { type HostView, routeWorkspace, type WorkspaceClaim } from './routing.ts';

const claim = (origin: string, firstSeenAt: number): WorkspaceClaim => ({
  origin,
  firstSeenAt,
  value: { workspaceId: 'ws00000000000000000000', nodeId: origin, status: 'running', ports: [3000] },
});
const hosts =
  (states: Record<string, HostView['state']>) =>
  (origin: string): HostView => ({ state: states[origin] ?? 'unknown', addr: `addr-${origin}` });
const config = localMeshConfig();

describe('Routing', () => {
  it('finds nothing for an unknown workspace', () => {
    expect(routeWorkspace([], hosts({}), config, 3)).toEqual({ found: false });
  });

  it('routes to an alive host', () => {
    const r = routeWorkspace([claim('c', 1)], hosts({ c: 'alive' }), config, 3);
    expect(r).toMatchObject({ found: true, nodeId: 'c', available: true, host: { addr: 'addr-c' } });
  });

  it('answers unavailable with a Retry-After for a suspect or dead host', () => {
    const s = routeWorkspace([claim('c', 1)], hosts({ c: 'suspect' }), config, 10);
    expect(s).toMatchObject({ found: true, available: false, retryAfterSeconds: 1 });
    const d = routeWorkspace([claim('c', 1)], hosts({ c: 'dead' }), config, 10);
    expect(d.found && !d.available && d.retryAfterSeconds >= 1).toBe(true);
  });

  it('keeps the incumbent when a later member claims the same workspace', () => {
    const r = routeWorkspace(
      [claim('rogue', 50), claim('c', 10)],
      hosts({ c: 'alive', rogue: 'alive' }),
      config,
      3,
    );
    expect(r).toMatchObject({ found: true, nodeId: 'c', conflicts: ['rogue'] });
  });

  it('prefers a live claimant over a dead incumbent (the workspace moved)', () => {
    const r = routeWorkspace(
      [claim('old', 1), claim('new', 99)],
      hosts({ old: 'dead', new: 'alive' }),
      config,
      3,
    );
    expect(r).toMatchObject({ found: true, nodeId: 'new', available: true });
  });
});
