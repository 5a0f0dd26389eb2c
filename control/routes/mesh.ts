// Mesh: the control plane member's live view of members and workspace routes, for the UI's mesh picture.
import { Elysia } from 'elysia';
import {
  CONTROL_ORIGIN,
  type MemberEntryValue,
  type MeshRouteView,
  MeshView,
  type WorkspaceEntryValue,
} from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { responses, userSecurity } from './responses.ts';

const EMPTY_COUNTERS: MeshView['counters'] = {
  packetsIn: 0,
  packetsOut: 0,
  syncs: 0,
  probes: 0,
  probeFailures: 0,
  suspicions: 0,
  deaths: 0,
  entriesApplied: 0,
};

export function meshRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'mesh', prefix: '/api/v1' }).get(
    '/mesh',
    async ({ request }): Promise<MeshView> => {
      const p = await deps.auth.user(request, 'read');
      const member = deps.mesh;
      if (!member) return { enabled: false, self: null, members: [], routes: [], counters: EMPTY_COUNTERS };
      const mesh = member.mesh;
      const entries = new Map<string, MemberEntryValue>();
      for (const e of mesh.entries('member')) entries.set(e.origin, e.value as MemberEntryValue);
      const members = mesh.members().map((m) => {
        const entry = entries.get(m.id);
        const control = m.id === mesh.id || m.id === CONTROL_ORIGIN;
        return {
          id: m.id,
          name: entry?.name ?? (control ? 'control plane' : null),
          state: m.state,
          incarnation: m.incarnation,
          address: m.addr,
          proxyUrl: entry?.proxyUrl ?? (control ? deps.publicUrl : null),
          control,
        };
      });
      // Admins see every placement; members only those of workspaces they may list.
      const visible =
        p.role === 'admin' ? undefined : new Set((await deps.workspaces.list(p)).map((w) => w.id));
      const routes: MeshRouteView[] = [];
      const seen = new Set<string>();
      for (const e of mesh.entries('workspace')) {
        const id = (e.value as WorkspaceEntryValue).workspaceId;
        if (seen.has(id) || (visible && !visible.has(id))) continue;
        seen.add(id);
        const r = mesh.route(id);
        if (!r.found) continue;
        routes.push({
          workspaceId: id,
          nodeId: r.nodeId,
          status: r.workspace.status,
          available: r.available,
        });
      }
      routes.sort((a, b) => (a.workspaceId < b.workspaceId ? -1 : 1));
      const m = mesh.metrics;
      return {
        enabled: true,
        self: { id: mesh.id, address: mesh.address },
        members,
        routes,
        counters: {
          packetsIn: m.packetsIn,
          packetsOut: m.packetsOut,
          syncs: m.syncs,
          probes: m.probes,
          probeFailures: m.probeFailures,
          suspicions: m.suspicions,
          deaths: m.deaths,
          entriesApplied: m.entriesApplied,
        },
      };
    },
    {
      response: responses(MeshView, 401, 403),
      detail: {
        operationId: 'getMesh',
        summary:
          "The control plane member's live mesh view: members, workspace routes (members see only their own) and gossip counters",
        tags: ['nodes'],
        security: userSecurity,
      },
    },
  );
}
