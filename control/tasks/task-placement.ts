// Where a task runs: the workspace made for it (started again when stopped), else an idle workspace of its
// project whose agent is ready, else a new workspace made for it from the project's defaults (placed on a
// warm-pool node when pools are on, else by ordinary placement). The task waits, queued, until that workspace runs
// with a ready agent; the sweep dispatches it again.
import type { WorkspaceRepository } from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { Store, WorkspaceRow } from '../db/index.ts';
import type { WorkspaceService } from '../workspaces/index.ts';
import { type TaskPlacement, TaskPlacementError } from './task-ports.ts';
import type { TaskRow } from './task-tables.ts';

export interface TaskPlacementOptions {
  store: Store;
  workspaces: WorkspaceService;
  /** Idle workspaces (warm-placement.ts). */
  idle: TaskPlacement;
  /** The repository a task workspace of the project clones (its primary one), or null when it has none. */
  repositoryOf(projectId: string): Promise<WorkspaceRepository | null>;
}

/** The name of the workspace made for a task: the task id is unique, so is the name within the project. */
export const taskWorkspaceName = (taskId: string) => `task-${taskId}`;

/** A task's owner acting through the workspace service (the task route checked that they own the project). */
export async function taskOwner(store: Store, ownerId: string): Promise<UserPrincipal> {
  const user = await store.users.get(ownerId);
  if (!user) throw new TaskPlacementError("the task's owner is gone", false);
  return { user, role: user.role, scopes: [], via: 'session' };
}

export function createTaskPlacement(o: TaskPlacementOptions): TaskPlacement {
  const ownerOf = (task: TaskRow) => taskOwner(o.store, task.ownerId);

  /**
   * The workspace the task has worked in (its checkout and branch are there): the one made for it, or, for a
   * follow-up, the idle workspace it ran on before.
   */
  const own = async (task: TaskRow): Promise<WorkspaceRow | undefined> => {
    const mine = (await o.store.workspaces.list(task.ownerId)).filter((w) => w.desiredState !== 'deleted');
    return (
      mine.find((w) => w.taskId === task.id) ??
      mine.find((w) => w.id === task.workspaceId && w.taskId === null && w.desiredState === 'running')
    );
  };

  /** The task's own workspace: the place once its agent is ready; started again when it was stopped. */
  const onOwn = async (task: TaskRow, w: WorkspaceRow) => {
    if (w.desiredState === 'stopped') {
      await o.workspaces.start(await ownerOf(task), w.id);
      throw new TaskPlacementError("the task's workspace is starting again", true);
    }
    if (w.agentState === 'failed' || w.status === 'error' || w.status === 'degraded')
      throw new TaskPlacementError(
        `the task's workspace cannot run its agent${w.statusReason ? `: ${w.statusReason}` : ''}`,
        false,
      );
    const node = w.nodeId ? await o.store.nodes.get(w.nodeId) : undefined;
    if (w.status === 'running' && w.agentState === 'ready' && node?.status === 'online')
      return { workspaceId: w.id, nodeId: node.id };
    throw new TaskPlacementError("the task's workspace is starting", true);
  };

  const make = async (task: TaskRow) => {
    const project = await o.store.projects.get(task.projectId);
    if (!project) throw new TaskPlacementError('the project is gone', false);
    // Without an agent command to make one with, the task waits for a workspace of the project to be free.
    if (!project.agentCommand)
      throw new TaskPlacementError(
        'no workspace of the project with a ready agent is free, and the project names no agent command to make one',
        true,
      );
    await o.workspaces.create(
      await ownerOf(task),
      { name: taskWorkspaceName(task.id), projectId: project.id, env: {} },
      { taskId: task.id, repository: await o.repositoryOf(project.id) },
    );
    throw new TaskPlacementError('a workspace is being made for the task', true);
  };

  return {
    async place(task) {
      const mine = await own(task);
      if (mine?.taskId === task.id) return onOwn(task, mine);
      // The idle workspace a follow-up's task ran on, while it is still ready; else any other.
      if (mine) {
        const again = await onOwn(task, mine).catch(() => undefined);
        if (again) return again;
      }
      try {
        return await o.idle.place(task);
      } catch (e) {
        if (!(e instanceof TaskPlacementError && e.retryable)) throw e;
      }
      return make(task);
    },
  };
}
