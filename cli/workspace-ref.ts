// Naming a workspace on the command line (its id or its name) and minting the token a node wants for it.
import { WORKSPACE_TOKEN_TTL, type Workspace, type WorkspaceScope } from '../contract/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { CliError, must } from './connection.ts';

const ID_RE = /^ws[0-9a-hjkmnp-tv-z]{20}$/;

/** The workspace `ref` names: an id, or the name of exactly one of the caller's workspaces. */
export async function findWorkspace(
  client: ControlClient,
  verb: string,
  ref: string | undefined,
): Promise<Workspace> {
  if (!ref)
    throw new CliError(`warren ${verb}: name the workspace (its id or name; warren ws list shows them)`, 2);
  if (ID_RE.test(ref))
    return must(verb, await client.GET('/api/v1/workspaces/{id}', { params: { path: { id: ref } } }));
  const all = must(verb, await client.GET('/api/v1/workspaces')).items;
  const named = all.filter((w) => w.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length === 0)
    throw new CliError(`warren ${verb}: no workspace named "${ref}" (warren ws list shows them)`);
  throw new CliError(
    `warren ${verb}: ${named.length} workspaces are named "${ref}"; use the id (warren ws list)`,
  );
}

/** A short-lived token for the workspace and the node that takes it. */
export interface NodeAccess {
  token: string;
  nodeUrl: string;
  appUrl: string | null;
}

/** Mints a workspace token with `scopes` (and `ports`) and says which node to present it to. */
export async function workspaceAccess(
  client: ControlClient,
  verb: string,
  workspace: Workspace,
  scopes: WorkspaceScope[],
  ports?: number[],
): Promise<NodeAccess> {
  const t = must(
    verb,
    await client.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: workspace.id } },
      // The longest a workspace token lives: a terminal or a tunnel ends when the token it opened with does.
      body: { scopes, ttlSeconds: WORKSPACE_TOKEN_TTL.max, ...(ports ? { ports } : {}) },
    }),
  );
  if (!t.nodeUrl)
    throw new CliError(
      `warren ${verb}: workspace ${workspace.name} is not placed on a node yet (${workspace.status})`,
    );
  return { token: t.token, nodeUrl: t.nodeUrl.replace(/\/$/, ''), appUrl: t.appUrl };
}

/** The WebSocket URL of a node path for the workspace (`/_terminal`, `/_port/22`). */
export function nodeSocketUrl(access: NodeAccess, workspaceId: string, path: string, search = ''): string {
  return `${access.nodeUrl.replace(/^http/, 'ws')}/w/${workspaceId}${path}${search}`;
}
