// Task workspaces after their turns, on a real control plane's database: stopped once idle, deleted once past
// retention, and never while their task still runs.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { FakeClock, startTestControl, type TestControl } from '../testing/index.ts';
import { taskOwner } from './task-placement.ts';

const IDLE = 60_000;
const RETENTION = 600_000;
let control: TestControl;
let clock: FakeClock;
let projectId: string;
let ownerId: string;

beforeAll(async () => {
  clock = new FakeClock(Date.UTC(2030, 0, 1));
  control = await startTestControl({
    clock,
    // The sweep is called by the test alone.
    config: { taskSweepMs: 3_600_000, taskWorkspaces: { idleStopMs: IDLE, retentionMs: RETENTION } },
  });
  projectId = (await control.client.POST('/api/v1/projects', { body: { name: 'reaped' } })).data!.id;
  ownerId = (await control.client.GET('/api/v1/auth/me')).data!.id;
});
afterAll(() => control.stop());

/** A task in `status` (ended now when terminal) with a workspace made for it. */
async function taskWithWorkspace(status: 'completed' | 'cancelled' | 'running') {
  const { deps } = control;
  const { task } = await deps.tasks.submit({ userId: ownerId, admin: true }, { projectId, prompt: status });
  await deps.database.client.execute({
    sql: 'UPDATE tasks SET status = ?, ended_at = ? WHERE id = ?',
    args: [status, status === 'running' ? null : clock.now(), task.id],
  });
  const { workspace } = await deps.workspaces.create(
    await taskOwner(deps.store, ownerId),
    { name: `task-${task.id}`, projectId, env: {} },
    { taskId: task.id, repository: null },
  );
  return workspace.id;
}

const desired = async (id: string) => (await control.deps.store.workspaces.get(id))?.desiredState;

describe('Task workspaces', () => {
  it('stops an idle one, deletes an expired one, and leaves one whose task runs', async () => {
    const done = await taskWithWorkspace('completed');
    const cancelled = await taskWithWorkspace('cancelled');
    const running = await taskWithWorkspace('running');
    const sweep = () => control.deps.taskWorkspaces.sweep();

    expect(await sweep()).toEqual({ stopped: 0, deleted: 0 });
    clock.advance(IDLE + 1);
    expect(await sweep()).toEqual({ stopped: 2, deleted: 0 });
    expect([await desired(done), await desired(cancelled), await desired(running)]).toEqual([
      'stopped',
      'stopped',
      'running',
    ]);
    clock.advance(RETENTION);
    expect(await sweep()).toEqual({ stopped: 0, deleted: 2 });
    // Unplaced, they are gone at once; a placed one would wait for its node to delete it.
    expect(await desired(done)).toBeUndefined();
    expect(await desired(cancelled)).toBeUndefined();
    expect(await desired(running)).toBe('running');
  });
});
