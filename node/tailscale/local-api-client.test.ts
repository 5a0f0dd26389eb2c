// Tests of the LocalAPI client against a fake tailscaled on a real unix socket.
import { afterEach, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalApiClient, LocalApiError, tailnetAddress } from './index.ts';
import { type FakeLocalApi, startFakeLocalApi } from './testing/index.ts';

const SELF = {
  stableId: 'nSELF1CNTRL',
  nodeId: 11,
  hostName: 'nd-alpha',
  ips: ['fd7a:115c:a1e0::b', '100.64.0.11'],
};
const PEER = {
  stableId: 'nPEER2CNTRL',
  nodeId: 12,
  hostName: 'nd-beta',
  ips: ['100.64.0.12', 'fd7a:115c:a1e0::c'],
  tags: ['tag:warren-node'],
};

let fake: FakeLocalApi | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function rejection(p: Promise<unknown>): Promise<LocalApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LocalApiError) return e;
    throw e;
  }
  throw new Error('expected a LocalApiError');
}

describe('LocalApiClient', () => {
  it('decodes status: own Tailscale IPs (IPv4 first), MagicDNS name, tailnet and peers', async () => {
    fake = startFakeLocalApi({ self: SELF, peers: [PEER], tailnetName: 'acme.example' });
    const st = await createLocalApiClient({ socketPath: fake.socketPath }).status();
    expect(st.ips).toEqual(['100.64.0.11', 'fd7a:115c:a1e0::b']);
    expect(st.dnsName).toBe('nd-alpha.tail4a2b.ts.net');
    expect(st.stableId).toBe('nSELF1CNTRL');
    expect(st.tailnetName).toBe('acme.example');
    expect(st.peers).toEqual([
      {
        stableId: 'nPEER2CNTRL',
        hostName: 'nd-beta',
        dnsName: 'nd-beta.tail4a2b.ts.net',
        ips: ['100.64.0.12', 'fd7a:115c:a1e0::c'],
        tags: ['tag:warren-node'],
        online: true,
      },
    ]);
    expect(tailnetAddress(st)).toBe('100.64.0.11');
    // tailscaled routes LocalAPI requests by this Host (apitype.LocalAPIHost).
    expect(fake.seen[0]).toEqual({ path: '/localapi/v0/status', host: 'local-tailscaled.sock' });
  });

  it('decodes whois for an ip:port into the peer identity', async () => {
    fake = startFakeLocalApi({ self: SELF, peers: [PEER] });
    const who = await createLocalApiClient({ socketPath: fake.socketPath }).whois('100.64.0.12:7946');
    expect(who).toEqual({
      stableId: 'nPEER2CNTRL',
      dnsName: 'nd-beta.tail4a2b.ts.net',
      ips: ['100.64.0.12', 'fd7a:115c:a1e0::c'],
      tags: ['tag:warren-node'],
      loginName: 'tagged-devices',
      expired: false,
    });
    expect(fake.seen[0]?.path).toBe('/localapi/v0/whois?addr=100.64.0.12%3A7946');
  });

  it('reports an address of no tailnet node as tailnet_peer_unknown', async () => {
    fake = startFakeLocalApi({ self: SELF, peers: [PEER] });
    const e = await rejection(createLocalApiClient({ socketPath: fake.socketPath }).whois('100.64.0.99:1'));
    expect(e.code).toBe('tailnet_peer_unknown');
    expect(e.message).toContain('100.64.0.99:1');
  });

  it('refuses a status that is not logged in', async () => {
    fake = startFakeLocalApi({ self: SELF, backendState: 'NeedsLogin' });
    const e = await rejection(createLocalApiClient({ socketPath: fake.socketPath }).status());
    expect(e.code).toBe('tailnet_not_running');
    expect(e.message).toContain('NeedsLogin');
  });

  it('rejects a status whose shape is not the documented one, naming the field', async () => {
    fake = startFakeLocalApi({ self: SELF });
    const body = fake.status() as Record<string, unknown>;
    body.Self = { ...(body.Self as object), DNSName: 42 };
    fake.overrides.set('/localapi/v0/status', { status: 200, body: JSON.stringify(body) });
    const e = await rejection(createLocalApiClient({ socketPath: fake.socketPath }).status());
    expect(e.code).toBe('tailscaled_bad_response');
    expect(e.message).toContain("'Self.DNSName'");
  });

  it('rejects a whois without Node, and one whose addresses are not prefixes', async () => {
    fake = startFakeLocalApi({ self: SELF, peers: [PEER] });
    const client = createLocalApiClient({ socketPath: fake.socketPath });
    fake.overrides.set('/localapi/v0/whois', {
      status: 200,
      body: JSON.stringify({ UserProfile: { ID: 1 } }),
    });
    const missing = await rejection(client.whois('100.64.0.12:1'));
    expect(missing.code).toBe('tailscaled_bad_response');
    expect(missing.message).toContain("'Node'");

    const good = fake.whois('100.64.0.12')!;
    good.Node.Addresses = ['100.64.0.12'];
    fake.overrides.set('/localapi/v0/whois', { status: 200, body: JSON.stringify(good) });
    const bare = await rejection(client.whois('100.64.0.12:1'));
    expect(bare.message).toContain("'Node.Addresses.0'");
    expect(bare.message).toContain('must be an IP prefix');
  });

  it('rejects a body that is not JSON, and passes on an error status', async () => {
    fake = startFakeLocalApi({ self: SELF });
    const client = createLocalApiClient({ socketPath: fake.socketPath });
    fake.overrides.set('/localapi/v0/status', { status: 200, body: '<html>' });
    expect((await rejection(client.status())).code).toBe('tailscaled_bad_response');
    fake.overrides.set('/localapi/v0/status', { status: 403, body: 'access denied\n' });
    const denied = await rejection(client.status());
    expect(denied.code).toBe('tailscaled_rejected');
    expect(denied.message).toContain('403');
  });

  it('gives up on a tailscaled that does not answer, after the configured timeout', async () => {
    fake = startFakeLocalApi({ self: SELF });
    fake.hang = true;
    const e = await rejection(createLocalApiClient({ socketPath: fake.socketPath, timeoutMs: 100 }).status());
    expect(e.code).toBe('tailscaled_unreachable');
    expect(e.message).toContain(`nothing answered on ${fake.socketPath}`);
  });

  it('says clearly that tailscaled is not reachable when the socket is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-nosock-'));
    try {
      const socketPath = join(dir, 'tailscaled.sock');
      const e = await rejection(createLocalApiClient({ socketPath }).status());
      expect(e.code).toBe('tailscaled_unreachable');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain(`no socket at ${socketPath}`);
      expect(e.message).toContain('is tailscaled running');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
