// Database rows rendered as the contract's API shapes (times as ISO 8601).
import type { ApiScope, ApiToken, Node, Project, User, Workspace } from '../../contract/index.ts';
import {
  type ApiTokenRow,
  type NodeWithCount,
  type ProjectRow,
  type UserRow,
  type WorkspaceRow,
  workspaceResources,
} from '../db/index.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function userView(u: UserRow): User {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    status: u.status,
    githubLogin: u.githubLogin,
    createdAt: iso(u.createdAt),
    disabledAt: u.disabledAt === null ? null : iso(u.disabledAt),
  };
}

export function apiTokenView(t: ApiTokenRow): ApiToken {
  return {
    id: t.id,
    name: t.name,
    scopes: JSON.parse(t.scopes) as ApiScope[],
    createdAt: iso(t.createdAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    expiresAt: isoOrNull(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
  };
}

export function projectView(p: ProjectRow, repositories: Project['repositories'] = []): Project {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    ownerId: p.ownerId,
    createdAt: iso(p.createdAt),
    appCommand: p.appCommand,
    agentCommand: p.agentCommand,
    resources: workspaceResources(p),
    agentPermissions: p.agentPermissions,
    repositories,
  };
}

export function nodeView(n: NodeWithCount): Node {
  return {
    id: n.id,
    name: n.name,
    status: n.status,
    address: n.address,
    labels: JSON.parse(n.labels) as Record<string, string>,
    capacity: { workspaces: n.capacityWorkspaces },
    laptop: n.laptop,
    workspaceCount: n.workspaceCount,
    lastHeartbeatAt: isoOrNull(n.lastHeartbeatAt),
    createdAt: iso(n.createdAt),
    load: n.loadCpu === null ? null : { cpu: n.loadCpu / 1000, memory: (n.loadMemory ?? 0) / 1000 },
    version: n.version,
    isolation: n.isolation,
    drainedAt: isoOrNull(n.drainedAt),
  };
}

/**
 * The app's own origin on its node, `{scheme}://ws-{id}.{baseDomain}[:port]` (scheme and port of the node's
 * address): what a browser opens, so no two workspaces' pages share an origin. Null when a browser could not
 * reach it: `*.localhost` is the browser's own machine, right only for a node on loopback (`warren up`).
 */
export function appOrigin(nodeAddress: string, baseDomain: string, workspaceId: string): string | null {
  let u: URL;
  try {
    u = new URL(nodeAddress);
  } catch {
    return null;
  }
  if (isLocalhost(baseDomain) && !isLoopback(u.hostname)) return null;
  u.hostname = `ws-${workspaceId}.${baseDomain}`;
  return u.origin;
}

const isLocalhost = (name: string) => name === 'localhost' || name.endsWith('.localhost');
const isLoopback = (hostname: string) =>
  isLocalhost(hostname) || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** `nodeAddress` is the hosting node's base URL, when placed. */
export function workspaceView(w: WorkspaceRow, nodeAddress: string | null): Workspace {
  return {
    id: w.id,
    name: w.name,
    projectId: w.projectId,
    ownerId: w.ownerId,
    nodeId: w.nodeId,
    status: w.status,
    desiredState: w.desiredState,
    statusReason: w.statusReason,
    appCommand: w.appCommand,
    agentCommand: w.agentCommand,
    resources: workspaceResources(w),
    shell: w.shell,
    envNames: Object.keys(JSON.parse(w.env) as Record<string, string>).sort(),
    url: nodeAddress ? `${nodeAddress.replace(/\/$/, '')}/w/${w.id}/` : null,
    agentState: w.agentCommand ? w.agentState : null,
    taskId: w.taskId,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}
