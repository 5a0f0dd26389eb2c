// Joining a pretend node through the API, as `warren node join` does, with a fresh join token and key.
import type { NodeIsolation, NodeJoined } from '../../contract/index.ts';
import type { ControlClient } from '../../openapi/client/index.ts';
import { createTestNodeKey, type TestNodeKey } from './node-key.ts';

export interface JoinTestNodeOptions {
  name: string;
  /** Where the control plane pushes assignments, e.g. a PushRecorder's url. */
  address: string;
  capacity?: number;
  isolation?: NodeIsolation;
  /** The node's `--base-domain`, reported as a node does; absent like a node that predates the field. */
  baseDomain?: string;
}

/** Mints a join token as the admin (`client`) and joins with it unauthenticated (`clientWith()`); throws unless 200. */
export async function joinTestNode(
  control: { client: ControlClient; clientWith(token?: string): ControlClient },
  o: JoinTestNodeOptions,
): Promise<NodeJoined & { joinToken: string; key: TestNodeKey }> {
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  if (!jt.data) throw new Error(`join token refused: ${jt.response.status}`);
  const key = await createTestNodeKey();
  const joined = await control.clientWith().POST('/api/v1/nodes/join', {
    body: {
      joinToken: jt.data.token,
      name: o.name,
      publicKey: key.publicKey,
      address: o.address,
      capacity: { workspaces: o.capacity ?? 4 },
      ...(o.isolation ? { isolation: o.isolation } : {}),
      ...(o.baseDomain ? { baseDomain: o.baseDomain } : {}),
    },
  });
  if (!joined.data)
    throw new Error(`join refused: ${joined.response.status} ${JSON.stringify(joined.error)}`);
  return { ...joined.data, joinToken: jt.data.token, key };
}
