// The Nodes page's mesh picture in a real Chromium against a control plane whose mesh member is on: it draws the
// members GET /api/v1/mesh reports, and re-reads the view when the event stream reports a node change.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import type { Jwks } from '../contract/index.ts';
import { startTestControl, type TestControl } from '../control/testing/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  localMeshConfig,
  type MeshNode,
} from '../mesh/index.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

let control: TestControl;
let ui: UiBrowser;
let member: MeshNode | undefined;

beforeAll(async () => {
  [control, ui] = await Promise.all([
    startTestControl({
      config: { meshListen: { host: '127.0.0.1', port: 0 }, meshTimings: localMeshConfig() },
    }),
    launchUiBrowser(),
  ]);
});
afterAll(async () => {
  await member?.close();
  await ui?.close();
  await control?.stop();
});

describe('Nodes page mesh picture', () => {
  it('shows the mesh members from the API, and a member that joins once the stream reports its node', async () => {
    const adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const keys = generateKeyPairSync('ed25519');
    const jwk = keys.publicKey.export({ format: 'jwk' }) as { x: string };
    const joined = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name: 'mesh-box',
        publicKey: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
        address: 'http://127.0.0.1:9',
        capacity: { workspaces: 2 },
      },
    });
    expect(joined.response.status).toBe(200);
    const nodeId = joined.data!.nodeId;
    await ui.run('mesh-picture', async (page) => {
      await page.goto(await control.deps.credentials.loginLink(adminId, control.url));
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'Nodes' }).click();
      // The node is in the control plane's list but not in the mesh yet: only the control plane's member is drawn.
      await page.locator('[data-member="control plane"][data-state="alive"]').waitFor();
      await page.getByText('1 mesh members: 1 alive').waitFor();
      expect(await page.locator('[data-member="mesh-box"]').count()).toBe(0);

      const jwks = (await (await fetch(`${control.url}/.well-known/jwks.json`)).json()) as Jwks;
      member = createMeshNode({
        transport: await createUdpTransport({ hostname: '127.0.0.1' }),
        identity: { origin: nodeId, privateKey: keys.privateKey, certificate: joined.data!.certificate },
        trust: new CertificateTrust({ controlJwks: jwks, issuer: joined.data!.issuer }),
        config: localMeshConfig(),
      });
      member.publish('member', {
        nodeId,
        name: 'mesh-box',
        meshAddress: member.address,
        proxyUrl: 'http://127.0.0.1:9',
        certificate: joined.data!.certificate,
      });
      expect(await member.join([control.deps.mesh!.address])).toBe(1);
      // Its heartbeat reaches the page as a node event; a node the view does not list yet makes the page re-read it.
      const hb = await control
        .nodeClient({ ...joined.data!, key: keys })
        .POST('/api/v1/nodes/{id}/heartbeat', {
          params: { path: { id: nodeId } },
          body: { workspaces: [], load: { cpu: 0.1, memory: 0.1 } },
        });
      expect(hb.response.status).toBe(200);
      await page.locator('[data-member="mesh-box"][data-state="alive"]').waitFor();
      await page.getByText('2 mesh members: 2 alive').waitFor();
      const title = await page.locator('[data-member="mesh-box"] title').textContent();
      expect(title).toContain(member.address);
    });
  });
});
