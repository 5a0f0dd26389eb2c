// The tailscaled LocalAPI client: status and whois over tailscaled's unix socket, every answer validated.
import { existsSync } from 'node:fs';
import * as v from 'valibot';
import { LocalApiError } from './local-api-error.ts';
import { LocalStatus, type PeerStatus, WhoIsResponse } from './local-api-shapes.ts';

export interface TailscaleLocalConfig {
  /** tailscaled's LocalAPI socket. Default `/var/run/tailscale/tailscaled.sock`, where tailscaled on Linux listens. */
  socketPath: string;
  /** Give up on one call after this long. Default 5 s: the LocalAPI answers from memory, so more means it hangs. */
  timeoutMs: number;
}

/** Defaults for a node on Linux with the distribution's tailscaled. */
export function defaultTailscaleLocalConfig(): TailscaleLocalConfig {
  return { socketPath: '/var/run/tailscale/tailscaled.sock', timeoutMs: 5_000 };
}

/** One tailnet node as Warren uses it. */
export interface TailnetPeer {
  /** Stable node ID (`n…CNTRL`). */
  stableId: string;
  hostName: string;
  /** MagicDNS name without the trailing dot, e.g. `nd1.tail1234.ts.net`. */
  dnsName: string;
  /** Tailscale IPs, IPv4 first. */
  ips: string[];
  tags: string[];
  online: boolean;
}

/** This node on the tailnet: what `--network tailscale` advertises. */
export interface TailnetSelf extends TailnetPeer {
  tailnetName: string;
  magicDnsSuffix: string;
  peers: TailnetPeer[];
}

/** A tailnet peer's identity for one connection (whois). */
export interface TailnetIdentity {
  stableId: string;
  /** MagicDNS name without the trailing dot. */
  dnsName: string;
  /** The node's Tailscale IPs (prefix lengths removed), IPv4 first. */
  ips: string[];
  tags: string[];
  /** Login name of the owner; `tagged-devices` for tagged nodes. */
  loginName: string;
  /** The node's key has expired: it cannot talk on the tailnet for long, and is not trusted. */
  expired: boolean;
}

export interface LocalApiClient {
  /** This node's tailnet addresses, MagicDNS name and peers; throws `tailnet_not_running` unless logged in. */
  status(): Promise<TailnetSelf>;
  /** Who is behind `addr` (`ip:port`, or `ip`); throws `tailnet_peer_unknown` for an address of no tailnet node. */
  whois(addr: string): Promise<TailnetIdentity>;
}

/** The Host header tailscaled's LocalAPI expects (apitype.LocalAPIHost). */
const LOCAL_API_ORIGIN = 'http://local-tailscaled.sock';

/** Creates a client for the LocalAPI at `config.socketPath`. Nothing is contacted until the first call. */
export function createLocalApiClient(config: Partial<TailscaleLocalConfig> = {}): LocalApiClient {
  const cfg = { ...defaultTailscaleLocalConfig(), ...config };
  return {
    async status() {
      const raw = await getJson(cfg, '/localapi/v0/status');
      const st = parse(LocalStatus, raw, 'status');
      if (st.BackendState !== 'Running' || !st.Self) {
        throw new LocalApiError(
          'tailnet_not_running',
          `tailscaled is ${st.BackendState}, not Running: log in with \`tailscale up\` first`,
        );
      }
      return {
        ...peerOf(st.Self),
        ips: ipv4First(st.TailscaleIPs.length > 0 ? st.TailscaleIPs : st.Self.TailscaleIPs),
        tailnetName: st.CurrentTailnet?.Name ?? '',
        magicDnsSuffix: st.CurrentTailnet?.MagicDNSSuffix ?? st.MagicDNSSuffix,
        peers: Object.values(st.Peer).map(peerOf),
      };
    },
    async whois(addr) {
      const raw = await getJson(cfg, `/localapi/v0/whois?addr=${encodeURIComponent(addr)}`, addr);
      const w = parse(WhoIsResponse, raw, 'whois');
      return {
        stableId: w.Node.StableID,
        dnsName: trimDot(w.Node.Name),
        ips: ipv4First(w.Node.Addresses.map((p) => p.slice(0, p.lastIndexOf('/')))),
        tags: w.Node.Tags,
        loginName: w.UserProfile.LoginName,
        expired: w.Node.Expired,
      };
    },
  };
}

/** The address a node advertises for the mesh and the proxy: its first Tailscale IPv4 (or IPv6) address. */
export function tailnetAddress(self: Pick<TailnetSelf, 'ips'>): string {
  const ip = self.ips[0];
  if (!ip) throw new LocalApiError('tailnet_not_running', 'this node has no Tailscale IP yet');
  return ip;
}

async function getJson(cfg: TailscaleLocalConfig, path: string, whoisAddr?: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${LOCAL_API_ORIGIN}${path}`, {
      unix: cfg.socketPath,
      signal: AbortSignal.timeout(cfg.timeoutMs),
    });
  } catch (error) {
    const why = existsSync(cfg.socketPath)
      ? `nothing answered on ${cfg.socketPath} (${(error as Error).name})`
      : `no socket at ${cfg.socketPath}`;
    throw new LocalApiError(
      'tailscaled_unreachable',
      `tailscaled is not reachable: ${why}; is tailscaled running, and is the socket path configured right?`,
    );
  }
  const text = await res.text();
  if (res.status === 404 && whoisAddr !== undefined) {
    throw new LocalApiError(
      'tailnet_peer_unknown',
      `${whoisAddr} is not an address of any node on this tailnet`,
    );
  }
  if (!res.ok) {
    throw new LocalApiError(
      'tailscaled_rejected',
      `tailscaled answered ${res.status} to ${path.split('?')[0]}: ${text.slice(0, 200).trim()}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new LocalApiError(
      'tailscaled_bad_response',
      `tailscaled answered ${path.split('?')[0]} with non-JSON`,
    );
  }
}

function parse<S extends v.GenericSchema>(schema: S, raw: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, raw);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const at = issue?.path?.map((p) => String(p.key)).join('.') || '(root)';
  throw new LocalApiError(
    'tailscaled_bad_response',
    `tailscaled's ${what} answer has an unexpected shape at '${at}': ${issue?.message}`,
  );
}

function peerOf(p: PeerStatus): TailnetPeer {
  return {
    stableId: p.ID,
    hostName: p.HostName,
    dnsName: trimDot(p.DNSName),
    ips: ipv4First(p.TailscaleIPs),
    tags: p.Tags,
    online: p.Online,
  };
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function ipv4First(ips: string[]): string[] {
  return [...ips.filter((ip) => !ip.includes(':')), ...ips.filter((ip) => ip.includes(':'))];
}
