// Token mints reuse their read of a workspace for up to ACCESS_TARGET_TTL_MS: a delete through this replica is
// seen by the very next mint, one through another replica within that bound.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ACCESS_TARGET_TTL_MS } from '../db/workspaces.ts';
import {
  eventually,
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  startTestReplica,
  type TestControl,
} from '../testing/index.ts';

let a: TestControl;
let b: TestControl;
let node: PushRecorder;
let projectId: string;

beforeAll(async () => {
  a = await startTestControl();
  // A second control plane on the first one's database and master key, as behind a load balancer.
  b = await startTestReplica(a);
  node = startPushRecorder();
  await joinTestNode(a, { name: 'n1', address: node.url, capacity: 20 });
  projectId = (await a.client.POST('/api/v1/projects', { body: { name: 'mints' } })).data!.id;
});
afterAll(async () => {
  await b.stop();
  await a.stop();
  await node.stop();
});

const create = async (name: string) =>
  (await a.client.POST('/api/v1/workspaces', { body: { name, projectId } })).data!.id;
const mint = (control: TestControl, id: string) =>
  control.client.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id } },
    body: { scopes: ['http'] },
  });

describe('Token mints and a workspace being deleted', () => {
  it('refuses the very next mint once this replica recorded the delete', async () => {
    const id = await create('here');
    expect((await mint(a, id)).response.status).toBe(200);
    expect((await mint(a, id)).response.status).toBe(200);
    expect((await a.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } })).response.ok).toBe(
      true,
    );
    const refused = await mint(a, id);
    expect(refused.response.status).toBe(409);
    expect(refused.error?.error.code).toBe('illegal_transition');
  });

  it('refuses mints on a replica within the reuse bound of a delete made through another replica', async () => {
    const id = await create('there');
    expect((await mint(a, id)).response.status).toBe(200);
    expect((await b.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } })).response.ok).toBe(
      true,
    );
    // Within the bound the cache promises (with slack for a loaded machine), never later.
    await eventually(
      async () => (await mint(a, id)).response.status === 409,
      'a mint refused on replica A',
      ACCESS_TARGET_TTL_MS * 5,
    );
  });
});
