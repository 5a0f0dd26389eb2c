// The control link against a stand-in control plane: join and heartbeat bodies arrive as the node sent them.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createControlLink } from './control-link.ts';
import { createTestProver, startTestIssuer, type TestIssuer } from './testing/index.ts';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.stop();
});

const publicKey = { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) } as const;

function joinBody(name: string) {
  return {
    joinToken: issuer.joinToken(),
    name,
    publicKey,
    address: 'http://127.0.0.1:1',
    capacity: { workspaces: 2 },
    labels: {},
    laptop: true,
  };
}

describe('ControlLink', () => {
  it('passes the caller’s isolation through join and heartbeat, and omits it when not given', async () => {
    const link = createControlLink(issuer.url, await createTestProver());
    const joined = await link.join({ ...joinBody('isolated'), isolation: 'sandbox-shared-network' });
    expect(issuer.joinRequests.at(-1)?.isolation).toBe('sandbox-shared-network');
    await link.heartbeat(joined.nodeId, joined.certificate, {
      workspaces: [],
      renew: false,
      isolation: 'process',
    });
    expect(issuer.lastHeartbeat?.isolation).toBe('process');
    await link.heartbeat(joined.nodeId, joined.certificate, { workspaces: [], renew: false });
    expect(issuer.lastHeartbeat).not.toHaveProperty('isolation');
    await link.join(joinBody('silent'));
    expect(issuer.joinRequests.at(-1)).not.toHaveProperty('isolation');
  });
});
