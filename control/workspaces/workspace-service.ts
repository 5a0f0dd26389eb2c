// Workspace lifecycle: create with placement, start, stop, delete, node reports, and pushes to the hosting node.
import {
  ENV_MAX,
  newId,
  type PermissionPolicy,
  type WorkspaceAssignment,
  type WorkspaceCreate,
  type WorkspaceReport,
  type WorkspaceRepository,
  type WorkspaceStatus,
  type WorkspaceUpdate,
} from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { Clock } from '../clock.ts';
import {
  type LifecycleNote,
  type NodeRow,
  type Store,
  type WorkspaceAccessTarget,
  type WorkspaceRow,
  workspaceResources,
} from '../db/index.ts';
import { ControlError, notFound } from '../errors.ts';
import type { Log } from '../log.ts';
import type { NodePush } from './node-push.ts';
import { POOL_LABEL, rankNodes } from './placement.ts';
import { assertAction, canTransition } from './workspace-transitions.ts';

/** A workspace with the node that hosts it (null while unplaced). */
export interface PlacedWorkspace {
  workspace: WorkspaceRow;
  node: NodeRow | null;
}

export interface WorkspaceService {
  /** The new workspace with the node it was placed on (null while it waits for room). */
  create(
    p: UserPrincipal,
    input: WorkspaceCreate,
    made?: WorkspaceMadeFor,
  ): Promise<{ workspace: WorkspaceRow; node: NodeRow | null }>;
  /** The workspace if `p` may see it (owner or admin); otherwise 404, never 403. */
  get(p: UserPrincipal, id: string): Promise<WorkspaceRow>;
  /** `get` with the hosting node (null when unplaced or gone), read in the same round trip. */
  getWithNode(p: UserPrincipal, id: string): Promise<PlacedWorkspace>;
  /** What a token mint needs of a workspace `p` may see (404 otherwise), in one narrow read. */
  accessTarget(p: UserPrincipal, id: string): Promise<WorkspaceAccessTarget>;
  list(p: UserPrincipal): Promise<WorkspaceRow[]>;
  /** start, stop and remove answer with the changed workspace and its node, as `create` does. */
  start(p: UserPrincipal, id: string): Promise<PlacedWorkspace>;
  stop(p: UserPrincipal, id: string): Promise<PlacedWorkspace>;
  remove(p: UserPrincipal, id: string): Promise<PlacedWorkspace>;
  /** Changes name, commands, env or limits; a running workspace restarts with them. 409 on a name taken. */
  update(p: UserPrincipal, id: string, input: WorkspaceUpdate): Promise<PlacedWorkspace>;
  /** Starts a workspace in `error` (or `degraded`) afresh: a new generation the node restarts for. */
  retry(p: UserPrincipal, id: string): Promise<PlacedWorkspace>;
  /** Places every unplaced workspace that fits on an online node; called when nodes join or recover. */
  placePending(): Promise<number>;
  /** Applies a node's reports: legal transitions only; workspaces deleted and no longer reported are removed. */
  applyReports(nodeId: string, reports: WorkspaceReport[]): Promise<{ applied: number; ignored: number }>;
  assignment(row: WorkspaceRow): Promise<WorkspaceAssignment>;
  /** Sends every placed workspace of a project to its node again (a project setting nodes read changed). */
  resendProject(projectId: string): Promise<void>;
}

/** What a workspace made for a task carries besides the request: its task and the repository it clones. */
export interface WorkspaceMadeFor {
  taskId: string;
  repository: WorkspaceRepository | null;
}

/** A source of dedicated nodes for new workspaces (the warm pool), told when a workspace is gone. */
export interface WorkspaceNodeSource {
  /** A node for this new workspace, or undefined to place it the ordinary way. */
  acquire(projectId: string, workspaceId: string): Promise<string | undefined>;
  workspaceRemoved(workspaceId: string): Promise<void>;
}

/** Statuses in which a workspace that should run is restarted by a change of its spec. */
const RESTARTABLE = new Set<WorkspaceStatus>(['starting', 'running', 'degraded', 'error']);

/** Row fields as the activity log names them. */
const FIELD_WORDS: Record<string, string> = {
  name: 'name',
  appCommand: 'app command',
  agentCommand: 'agent command',
  env: 'environment',
  resources: 'resources',
};

/** True when `e` is the unique index on (project, name) refusing a second workspace of that name. */
function nameTaken(e: unknown): boolean {
  for (let x: unknown = e; x instanceof Error; x = x.cause) {
    if (/UNIQUE constraint failed: workspaces\.project_id, workspaces\.name/.test(x.message)) return true;
  }
  return false;
}

export function createWorkspaceService(deps: {
  store: Store;
  clock: Clock;
  push: NodePush;
  log: Log;
  /** The warm pool, when one is configured. */
  nodeSource?: WorkspaceNodeSource;
}): WorkspaceService {
  const { store, clock } = deps;

  /** The spec a node runs `row` by, with its project's permission policy (read now: a change reaches running agents). */
  const assignment = async (row: WorkspaceRow, policy?: PermissionPolicy): Promise<WorkspaceAssignment> => ({
    agentPermissions: policy ?? (await store.projects.get(row.projectId))?.agentPermissions ?? 'ask',
    id: row.id,
    name: row.name,
    projectId: row.projectId,
    ownerId: row.ownerId,
    desiredState: row.desiredState,
    appCommand: row.appCommand,
    env: JSON.parse(row.env) as Record<string, string>,
    agentCommand: row.agentCommand,
    shell: row.shell,
    generation: row.generation,
    repository: row.repository ? (JSON.parse(row.repository) as WorkspaceRepository) : null,
    resources: workspaceResources(row, (problem) =>
      deps.log.warn('stored workspace resources are invalid; the node defaults apply', {
        workspace: row.id,
        problem,
      }),
    ),
  });

  /** Sends the changed row to the node read with it, and answers with both. */
  const pushTo = async (workspace: WorkspaceRow, node: NodeRow | null) => {
    const host = node && node.id === workspace.nodeId ? node : null;
    if (host) await deps.push.assignment(host, await assignment(workspace));
    return { workspace, node: host };
  };

  /** A workspace row is gone: a pool node it claimed is warm again. Never fails the caller's request. */
  const released = async (workspaceId: string) => {
    await deps.nodeSource?.workspaceRemoved(workspaceId).catch((e) =>
      deps.log.error('releasing a pool node failed', {
        workspace: workspaceId,
        message: (e as Error).message,
      }),
    );
  };

  /** Sends a just-placed workspace to its node and answers the create with both. */
  const placedOn = async (workspace: WorkspaceRow, node: NodeRow | null, policy?: PermissionPolicy) => {
    if (node) await deps.push.assignment(node, await assignment(workspace, policy));
    return { workspace, node };
  };

  const visible = (p: UserPrincipal, row: WorkspaceRow | undefined): row is WorkspaceRow =>
    row !== undefined && (p.role === 'admin' || row.ownerId === p.user.id);
  const get = async (p: UserPrincipal, id: string) => {
    const row = await store.workspaces.get(id);
    if (!visible(p, row)) throw notFound('workspace');
    return row;
  };
  const getWithNode = async (p: UserPrincipal, id: string) => {
    const found = await store.workspaces.getWithNode(id);
    if (!found || !visible(p, found.workspace)) throw notFound('workspace');
    return found;
  };

  /** Applies `patch` and its `note` with compare-and-set on the status; retries if a report moved it meanwhile. */
  const change = async (
    row: WorkspaceRow,
    note: LifecycleNote,
    next: (r: WorkspaceRow) => Partial<WorkspaceRow>,
  ): Promise<WorkspaceRow> => {
    let current = row;
    for (let i = 0; i < 3; i++) {
      const updated = await store.workspaces.update(
        current.id,
        current.status,
        { ...next(current), updatedAt: clock.now() },
        [note],
      );
      if (updated) return updated;
      const fresh = await store.workspaces.get(current.id);
      if (!fresh) throw notFound('workspace');
      current = fresh;
    }
    throw new ControlError('conflict', 'the workspace changed concurrently; try again');
  };

  /** Runs `write`; a second workspace of the same name in the project (the unique index says so) is a 409. */
  const uniqueName = async <T>(name: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (e) {
      if (nameTaken(e))
        throw new ControlError('conflict', `a workspace named ${name} already exists in this project`, {
          field: 'name',
        });
      throw e;
    }
  };
  const insertNamed = (row: WorkspaceRow, notes: LifecycleNote[]) =>
    uniqueName(row.name, () => store.workspaces.insertIfCapacity(row, notes));

  return {
    async create(p, input, made) {
      const now = clock.now();
      const id = newId('workspace');
      // The usual create is one batch (one round trip on sqld): placement, the project's defaults and the
      // access check in SQL. A named node, warm pools, a project this caller cannot use or no node with room
      // take the path below, which reads first to tell them apart.
      if (!input.nodeId && !deps.nodeSource) {
        const placed = await uniqueName(input.name, () =>
          store.workspaces.insertOnRoomiestNode(
            {
              id,
              name: input.name,
              projectId: input.projectId,
              ownerId: p.user.id,
              statusBeforeUnreachable: null,
              desiredState: 'running',
              statusReason: null,
              appCommand: input.appCommand ?? null,
              agentCommand: input.agentCommand ?? null,
              env: JSON.stringify(input.env ?? {}),
              resources: input.resources ? JSON.stringify(input.resources) : null,
              shell: input.shell ?? null,
              taskId: made?.taskId ?? null,
              repository: made?.repository ? JSON.stringify(made.repository) : null,
              port: null,
              createdAt: now,
              updatedAt: now,
            },
            p.role === 'admin' ? undefined : p.user.id,
            POOL_LABEL,
          ),
        );
        if (placed) return placedOn(placed.workspace, placed.node, placed.agentPermissions);
      }
      // One read (the project and the nodes) and one write (the row with its notes).
      const { project, nodes } = await store.workspaces.placementInputs(input.projectId);
      if (!project || (p.role !== 'admin' && project.ownerId !== p.user.id)) throw notFound('project');
      const base: WorkspaceRow = {
        id,
        name: input.name,
        projectId: project.id,
        ownerId: p.user.id,
        nodeId: null,
        status: 'pending',
        statusBeforeUnreachable: null,
        desiredState: 'running',
        statusReason: null,
        // What the request leaves out comes from the project's defaults.
        appCommand: input.appCommand ?? project.appCommand ?? null,
        agentCommand: input.agentCommand ?? project.agentCommand ?? null,
        env: JSON.stringify(input.env ?? {}),
        resources: JSON.stringify(input.resources ?? workspaceResources(project)),
        shell: input.shell ?? null,
        generation: 0,
        agentState: null,
        taskId: made?.taskId ?? null,
        repository: made?.repository ? JSON.stringify(made.repository) : null,
        port: null,
        createdAt: now,
        updatedAt: now,
      };
      const on = (node: { id: string }) => ({ ...base, nodeId: node.id, status: 'starting' as const });
      const placedNotes = (nodeId: string) => [
        { type: 'created', message: `workspace ${base.name} created` },
        { type: 'placed', message: `placed on node ${nodeId}` },
      ];
      if (input.nodeId) {
        const node = nodes.find((n) => n.id === input.nodeId);
        if (!node) throw new ControlError('not_found', 'node not found');
        if (node.drainedAt !== null)
          throw new ControlError('conflict', `node ${node.name} is drained: no new workspaces go there`);
        if (!(await insertNamed(on(node), placedNotes(node.id))))
          throw new ControlError('conflict', 'the named node has no free capacity');
        return placedOn(on(node), node);
      }
      const pooled = await deps.nodeSource?.acquire(project.id, base.id);
      if (pooled) {
        const node = nodes.find((n) => n.id === pooled);
        const inserted = await insertNamed(on({ id: pooled }), placedNotes(pooled)).catch(
          async (e: unknown) => {
            await deps.nodeSource?.workspaceRemoved(base.id);
            throw e;
          },
        );
        if (inserted) return placedOn(on({ id: pooled }), node ?? (await store.nodes.get(pooled)) ?? null);
        await deps.nodeSource?.workspaceRemoved(base.id);
      }
      for (const node of rankNodes(nodes)) {
        if (await insertNamed(on(node), placedNotes(node.id))) return placedOn(on(node), node);
      }
      await uniqueName(base.name, () =>
        store.workspaces.insert(base, [
          { type: 'created', message: `workspace ${base.name} created; waiting for a node with room` },
        ]),
      );
      return { workspace: base, node: null };
    },
    get,
    getWithNode,
    async accessTarget(p, id) {
      const found = await store.workspaces.accessTarget(id);
      if (!found || (p.role !== 'admin' && found.ownerId !== p.user.id)) throw notFound('workspace');
      return found;
    },
    async list(p) {
      return store.workspaces.list(p.role === 'admin' ? undefined : p.user.id);
    },
    async start(p, id) {
      const { workspace: row, node } = await getWithNode(p, id);
      assertAction('start', row.status);
      const updated = await change(row, { type: 'started', message: 'start requested' }, (r) => {
        assertAction('start', r.status);
        const status: WorkspaceStatus =
          r.nodeId && (r.status === 'stopped' || r.status === 'error') ? 'starting' : r.status;
        return { desiredState: 'running', status, statusReason: null };
      });
      return pushTo(updated, node);
    },
    async stop(p, id) {
      const { workspace: row, node } = await getWithNode(p, id);
      assertAction('stop', row.status);
      const updated = await change(row, { type: 'stopping', message: 'stop requested' }, (r) => {
        assertAction('stop', r.status);
        const status: WorkspaceStatus =
          r.status === 'running' || r.status === 'starting'
            ? 'stopping'
            : r.status === 'pending'
              ? 'stopped'
              : r.status;
        return { desiredState: 'stopped', status };
      });
      return pushTo(updated, node);
    },
    async remove(p, id) {
      const { workspace: row, node } = await getWithNode(p, id);
      assertAction('delete', row.status);
      if (!row.nodeId) {
        await store.workspaces.remove(row.id);
        await released(row.id);
        return { workspace: { ...row, desiredState: 'deleted', status: 'deleting' }, node: null };
      }
      // The log goes with the workspace's row once its node has deleted it.
      const updated = await change(row, { type: 'deleted', message: 'delete requested' }, (r) => {
        assertAction('delete', r.status);
        return { desiredState: 'deleted', status: r.status === 'unreachable' ? 'unreachable' : 'deleting' };
      });
      return pushTo(updated, node);
    },
    async update(p, id, input) {
      const { workspace: row, node } = await getWithNode(p, id);
      assertAction('update', row.status);
      const env = JSON.parse(row.env) as Record<string, string>;
      for (const [k, val] of Object.entries(input.env ?? {})) {
        if (val === null) delete env[k];
        else env[k] = val;
      }
      if (Object.keys(env).length > ENV_MAX)
        throw new ControlError('invalid_request', `at most ${ENV_MAX} environment variables`, {
          field: 'env',
        });
      const spec: Partial<WorkspaceRow> = {};
      if (input.name !== undefined && input.name !== row.name) spec.name = input.name;
      if (input.appCommand !== undefined && input.appCommand !== row.appCommand)
        spec.appCommand = input.appCommand;
      if (input.agentCommand !== undefined && input.agentCommand !== row.agentCommand)
        spec.agentCommand = input.agentCommand;
      if (input.env !== undefined && JSON.stringify(env) !== row.env) spec.env = JSON.stringify(env);
      if (input.resources !== undefined && JSON.stringify(input.resources) !== row.resources)
        spec.resources = JSON.stringify(input.resources);
      const changed = Object.keys(spec);
      if (changed.length === 0) return { workspace: row, node };
      // Only what the run depends on restarts it; a new name is just a new name.
      const restarts = changed.some((k) => k !== 'name');
      const live = (r: WorkspaceRow) =>
        r.nodeId !== null && r.desiredState === 'running' && RESTARTABLE.has(r.status);
      // Which fields changed, never their values: env values may be secrets.
      const words = changed.map((k) => FIELD_WORDS[k] ?? k).join(', ');
      const note = {
        type: 'updated',
        message: `changed ${words}${restarts && live(row) ? '; restarting' : ''}`,
      };
      const updated = await uniqueName(input.name ?? row.name, () =>
        change(row, note, (r) => {
          assertAction('update', r.status);
          return restarts && live(r)
            ? { ...spec, status: 'starting', statusReason: 'restarting with the new spec' }
            : spec;
        }),
      );
      return pushTo(updated, node);
    },
    async retry(p, id) {
      const { workspace: row, node } = await getWithNode(p, id);
      assertAction('retry', row.status);
      const updated = await change(row, { type: 'retried', message: 'retry requested' }, (r) => {
        assertAction('retry', r.status);
        return {
          desiredState: 'running',
          status: r.nodeId ? 'starting' : r.status,
          statusReason: null,
          generation: r.generation + 1,
        };
      });
      return pushTo(updated, node);
    },
    async resendProject(projectId) {
      const [rows, nodes] = await Promise.all([store.workspaces.list(), store.nodes.list()]);
      const byId = new Map(nodes.map((n) => [n.id, n]));
      await Promise.all(
        rows
          .filter((r) => r.projectId === projectId && r.nodeId)
          .map(async (r) => {
            const node = byId.get(r.nodeId as string);
            // Best effort: the next heartbeat carries it to a node that missed this.
            if (node) await deps.push.assignment(node, await assignment(r));
          }),
      );
    },
    async placePending() {
      let placedCount = 0;
      for (const row of await store.workspaces.listUnplaced()) {
        const status: WorkspaceStatus = row.desiredState === 'running' ? 'starting' : 'stopped';
        for (const node of rankNodes(await store.nodes.list())) {
          const placed = { type: 'placed', message: `placed on node ${node.id}` };
          if (await store.workspaces.placeIfCapacity(row.id, node.id, status, clock.now(), [placed])) {
            placedCount++;
            await deps.push.assignment(node, await assignment({ ...row, nodeId: node.id, status }));
            break;
          }
        }
      }
      return placedCount;
    },
    async applyReports(nodeId, reports) {
      let applied = 0;
      let ignored = 0;
      const reported = new Map(reports.map((r) => [r.id, r]));
      const hosted = await store.workspaces.listOnNode(nodeId);
      for (const row of hosted) {
        const report = reported.get(row.id);
        if (!report) {
          // The node no longer has it: a delete is complete.
          if (row.desiredState === 'deleted') {
            await store.workspaces.remove(row.id);
            await released(row.id);
          }
          continue;
        }
        if (row.desiredState === 'deleted' && report.status !== 'deleting') {
          ignored++;
          continue;
        }
        const to = report.status;
        if (
          to === row.status &&
          (report.reason ?? null) === row.statusReason &&
          (report.port ?? null) === row.port &&
          (report.agentState ?? null) === row.agentState
        )
          continue;
        if (!canTransition(row.status, to)) {
          ignored++;
          deps.log.warn('illegal status report ignored', { workspace: row.id, from: row.status, to });
          continue;
        }
        const notes: LifecycleNote[] = [];
        if (
          to !== row.status &&
          (to === 'running' || to === 'stopped' || to === 'error' || to === 'degraded')
        )
          notes.push({ type: to, message: report.reason ? `${to}: ${report.reason}` : to });
        // A new reason without a new status (a limit the running workspace ran into) belongs in its log too.
        else if (to === row.status && report.reason && report.reason !== row.statusReason)
          notes.push({ type: to, message: `${to}: ${report.reason}` });
        const done = await store.workspaces.update(
          row.id,
          row.status,
          {
            status: to,
            statusBeforeUnreachable: null,
            statusReason: report.reason ?? null,
            port: report.port ?? null,
            agentState: report.agentState ?? null,
            updatedAt: clock.now(),
          },
          notes,
        );
        if (done) applied++;
        else ignored++;
      }
      // Reports about workspaces not placed on this node are not this node's to make.
      const ids = new Set(hosted.map((r) => r.id));
      ignored += reports.filter((r) => !ids.has(r.id)).length;
      return { applied, ignored };
    },
    assignment,
  };
}
