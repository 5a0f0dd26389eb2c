// The UI's one way to the control plane: the generated client on this origin (the session cookie rides along).
import { createControlClient, type paths } from '../openapi/client/index.ts';
import { Problem, problemFromResponse, unreachable } from './problem.ts';

/** The typed client; same-origin requests carry the HttpOnly session cookie (fetch's default credentials). */
export const api = createControlClient(location.origin);

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** Awaits a client call and returns its data, or throws a Problem worded for a person. */
export async function must<T>(call: Promise<Outcome<T>>): Promise<T> {
  let out: Outcome<T>;
  try {
    out = await call;
  } catch (e) {
    if (e instanceof Problem) throw e;
    throw unreachable();
  }
  if (out.response.ok && out.data !== undefined) return out.data;
  throw problemFromResponse(out.response.status, out.error);
}

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

/** Response bodies of the API, by path and method (types only; the wire shapes live in contract/). */
export type User = Json<'/api/v1/auth/me', 'get'>;
export type Workspace = Json<'/api/v1/workspaces/{id}', 'get'>;
export type WorkspaceStatus = Workspace['status'];
export type Node = Json<'/api/v1/nodes/{id}', 'get'>;
export type NodeStatus = Node['status'];
export type Project = Json<'/api/v1/projects/{id}', 'get'>;
export type ApiToken = Json<'/api/v1/tokens', 'get'>['items'][number];
export type ApiTokenCreated = Json<'/api/v1/tokens', 'post'>;
export type JoinTokenCreated = Json<'/api/v1/join-tokens', 'post'>;
export type Task = Json<'/api/v1/tasks/{id}', 'get'>;
export type TaskStatus = Task['status'];
export type TaskMessage = Json<'/api/v1/tasks/{id}/messages', 'post'>;
export type ActivityEvent = Json<'/api/v1/workspaces/{id}/activity', 'get'>['items'][number];
export type MeshView = Json<'/api/v1/mesh', 'get'>;
export type MeshMember = MeshView['members'][number];
