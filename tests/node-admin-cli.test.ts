// `warren node rename|drain|undrain` as a real process against a control plane: what the admin asked is what the
// API shows afterwards; a member's token and a missing argument are refused.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { resolve } from 'node:path';
import {
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../control/testing/index.ts';

const CLI = resolve(import.meta.dir, '../cli/main.ts');
let control: TestControl;
let pushes: PushRecorder;

beforeAll(async () => {
  control = await startTestControl();
  pushes = startPushRecorder();
});
afterAll(async () => {
  await pushes.stop();
  await control.stop();
});

const warren = async (token: string, ...args: string[]) => {
  const p = Bun.spawn([process.execPath, CLI, 'node', ...args, '--url', control.url, '--token', token], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  return {
    code: await p.exited,
    out: await new Response(p.stdout).text(),
    err: await new Response(p.stderr).text(),
  };
};

describe('warren node rename, drain, undrain', () => {
  it('renames and drains a node as an admin, and refuses a member and a missing name', async () => {
    const { nodeId } = await joinTestNode(control, { name: 'host-9', address: pushes.url });
    const node = async () =>
      (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } })).data!;

    const renamed = await warren(control.adminToken, 'rename', nodeId, 'edge-1');
    expect(renamed.code).toBe(0);
    expect(renamed.out).toContain(`node ${nodeId} edge-1`);
    expect((await node()).name).toBe('edge-1');

    const drained = await warren(control.adminToken, 'drain', nodeId);
    expect(drained.code).toBe(0);
    expect(drained.out).toContain('drained since');
    expect((await node()).drainedAt).not.toBeNull();

    expect((await warren(control.adminToken, 'undrain', nodeId)).code).toBe(0);
    expect((await node()).drainedAt).toBeNull();

    expect((await warren(control.adminToken, 'rename', nodeId)).code).toBe(2);
    const member = await control.client.POST('/api/v1/users', { body: { name: 'member' } });
    const refused = await warren(member.data!.apiToken, 'drain', nodeId);
    expect(refused.code).not.toBe(0);
    expect((await node()).drainedAt).toBeNull();
  });
});
