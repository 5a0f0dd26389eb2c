// A stand-in tailscaled: serves the documented LocalAPI JSON (status, whois) on a unix socket, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A device on the fake tailnet. `ips` without prefix length; IPv4 first. */
export interface FakeTailnetDevice {
  stableId: string;
  /** Numeric tailcfg.NodeID. */
  nodeId: number;
  hostName: string;
  ips: string[];
  tags?: string[];
  /** Owner login; tagged devices belong to `tagged-devices`. */
  loginName?: string;
  expired?: boolean;
  online?: boolean;
}

export interface FakeLocalApiOptions {
  /** This node. */
  self: FakeTailnetDevice;
  peers?: FakeTailnetDevice[];
  tailnetName?: string;
  /** MagicDNS suffix; default `tail4a2b.ts.net`. */
  magicDnsSuffix?: string;
  backendState?: string;
}

/** A LocalAPI request the fake saw, so tests can check what the client sent. */
export interface SeenRequest {
  path: string;
  host: string | null;
}

/** Starts the fake on a fresh socket in a temp directory; `socketPath` is what the client is pointed at. */
export function startFakeLocalApi(options: FakeLocalApiOptions): FakeLocalApi {
  return new FakeLocalApi(options);
}

export class FakeLocalApi {
  readonly socketPath: string;
  readonly seen: SeenRequest[] = [];
  /** Replace the body of the next answers to a path (`/localapi/v0/status`…) to test bad shapes. */
  readonly overrides = new Map<string, { status: number; body: string }>();
  /** When true, requests get no answer at all (a wedged tailscaled). */
  hang = false;
  private readonly dir: string;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(readonly options: FakeLocalApiOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'warren-tsd-'));
    this.socketPath = join(this.dir, 'tailscaled.sock');
    this.server = Bun.serve({ unix: this.socketPath, fetch: (req) => this.handle(req) });
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    this.seen.push({ path: url.pathname + url.search, host: req.headers.get('host') });
    if (this.hang) return new Promise<Response>(() => {});
    const override = this.overrides.get(url.pathname);
    if (override) {
      return new Response(override.body, {
        status: override.status,
        headers: { 'content-type': 'application/json' },
      });
    }
    if (req.method !== 'GET') return new Response('want GET\n', { status: 405 });
    if (url.pathname === '/localapi/v0/status') return Response.json(this.status());
    if (url.pathname === '/localapi/v0/whois') {
      const addr = url.searchParams.get('addr') ?? '';
      const found = this.whois(addr);
      // tailscaled: http.Error(w, "no match for IP:port", 404).
      return found ? Response.json(found) : new Response('no match for IP:port\n', { status: 404 });
    }
    return new Response('404 page not found\n', { status: 404 });
  }

  private suffix(): string {
    return this.options.magicDnsSuffix ?? 'tail4a2b.ts.net';
  }

  private peerStatus(d: FakeTailnetDevice) {
    return {
      ID: d.stableId,
      PublicKey: `nodekey:${d.nodeId.toString(16).padStart(64, '0')}`,
      HostName: d.hostName,
      DNSName: `${d.hostName}.${this.suffix()}.`,
      OS: 'linux',
      UserID: d.tags?.length ? 9000 : 1000 + d.nodeId,
      TailscaleIPs: d.ips,
      ...(d.tags?.length ? { Tags: d.tags } : {}),
      Addrs: null,
      CurAddr: '',
      Relay: 'fra',
      RxBytes: 0,
      TxBytes: 0,
      Created: '2030-01-01T00:00:00Z',
      LastWrite: '0001-01-01T00:00:00Z',
      LastSeen: '0001-01-01T00:00:00Z',
      LastHandshake: '0001-01-01T00:00:00Z',
      Online: d.online ?? true,
      ExitNode: false,
      ExitNodeOption: false,
      Active: false,
      PeerAPIURL: null,
      InNetworkMap: true,
      InMagicSock: true,
      InEngine: true,
    };
  }

  /** The ipnstate.Status JSON tailscaled would send. */
  status() {
    const o = this.options;
    const peers = o.peers ?? [];
    return {
      Version: '1.80.0-fake',
      TUN: true,
      BackendState: o.backendState ?? 'Running',
      HaveNodeKey: true,
      AuthURL: '',
      TailscaleIPs: o.self.ips,
      Self: this.peerStatus(o.self),
      Health: [],
      MagicDNSSuffix: this.suffix(),
      CurrentTailnet: {
        Name: o.tailnetName ?? 'acme.example',
        MagicDNSSuffix: this.suffix(),
        MagicDNSEnabled: true,
      },
      CertDomains: null,
      Peer: peers.length
        ? Object.fromEntries(
            peers.map((p) => [`nodekey:${p.nodeId.toString(16).padStart(64, '0')}`, this.peerStatus(p)]),
          )
        : null,
      User: null,
      ClientVersion: null,
    };
  }

  /** The apitype.WhoIsResponse JSON for `ip:port` (or a bare ip), or undefined when no device has that IP. */
  whois(addr: string) {
    const ip = addr.startsWith('[')
      ? addr.slice(1, addr.indexOf(']'))
      : addr.split(':').length === 2
        ? addr.split(':')[0]
        : addr;
    const d = [this.options.self, ...(this.options.peers ?? [])].find((x) => x.ips.includes(ip ?? ''));
    if (!d) return undefined;
    const tagged = (d.tags?.length ?? 0) > 0;
    return {
      Node: {
        ID: d.nodeId,
        StableID: d.stableId,
        Name: `${d.hostName}.${this.suffix()}.`,
        User: tagged ? 9000 : 1000 + d.nodeId,
        Key: `nodekey:${d.nodeId.toString(16).padStart(64, '0')}`,
        KeyExpiry: '0001-01-01T00:00:00Z',
        Machine: `mkey:${'0'.repeat(64)}`,
        DiscoKey: `discokey:${'0'.repeat(64)}`,
        Addresses: d.ips.map((x) => (x.includes(':') ? `${x}/128` : `${x}/32`)),
        AllowedIPs: d.ips.map((x) => (x.includes(':') ? `${x}/128` : `${x}/32`)),
        Endpoints: null,
        HomeDERP: 1,
        Hostinfo: { OS: 'linux', Hostname: d.hostName },
        Created: '2030-01-01T00:00:00Z',
        Cap: 100,
        ...(tagged ? { Tags: d.tags } : {}),
        Online: d.online ?? true,
        MachineAuthorized: true,
        ...(d.expired ? { Expired: true } : {}),
        ComputedName: d.hostName,
        ComputedNameWithHost: d.hostName,
      },
      UserProfile: tagged
        ? { ID: 9000, LoginName: 'tagged-devices', DisplayName: 'Tagged Devices' }
        : { ID: 1000 + d.nodeId, LoginName: d.loginName ?? 'alice@example.com', DisplayName: 'Alice' },
      CapMap: null,
    };
  }
}
