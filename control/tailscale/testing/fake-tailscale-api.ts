// A local stand-in for the Tailscale API v2 (documented shapes only): auth keys, devices, OAuth tokens.
import { randomBytes } from 'node:crypto';

export interface FakeTailscaleApiOptions {
  /** The tailnet this fake serves; `-` also reaches it. */
  tailnet: string;
  /** Accepted API access tokens. */
  apiKeys?: string[];
  /** Accepted OAuth clients. */
  oauthClients?: { clientId: string; clientSecret: string }[];
  /** Lifetime of issued OAuth access tokens, in seconds; Tailscale's is 3600. */
  oauthTokenTtlSeconds?: number;
  /** Tags a credential may put on keys (tagOwners); others are refused with 400. Default: any `tag:…`. */
  allowedTags?: string[];
}

/** A key the fake minted, as a test inspects it (the secret included). */
export interface FakeKey {
  id: string;
  key: string;
  reusable: boolean;
  ephemeral: boolean;
  preauthorized: boolean;
  tags: string[];
  expirySeconds: number;
  description: string;
  uses: number;
}

export interface FakeDevice {
  id: string;
  nodeId: string;
  name: string;
  hostname: string;
  addresses: string[];
  tags: string[];
  authorized: boolean;
  ephemeral: boolean;
}

export function startFakeTailscaleApi(options: FakeTailscaleApiOptions): FakeTailscaleApi {
  return new FakeTailscaleApi(options);
}

export class FakeTailscaleApi {
  readonly keys: FakeKey[] = [];
  readonly devices = new Map<string, FakeDevice>();
  /** OAuth access tokens issued, in order. */
  readonly issuedTokens: string[] = [];
  /** Every request: method, path, and the Authorization header it carried. */
  readonly requests: { method: string; path: string; authorization: string | null }[] = [];
  /** Answer the next requests to a path (e.g. `/api/v2/tailnet/acme/keys`) with this instead (bad-shape tests). */
  readonly overrides = new Map<string, { status: number; body: unknown }>();
  readonly url: string;
  private readonly liveTokens = new Set<string>();
  private readonly server: ReturnType<typeof Bun.serve>;
  private nextIp = 20;

  constructor(readonly options: FakeTailscaleApiOptions) {
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => this.handle(req) });
    this.url = `http://127.0.0.1:${this.server.port}`;
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
  }

  /** Revokes every issued OAuth token (as if Tailscale expired them early). */
  revokeTokens(): void {
    this.liveTokens.clear();
  }

  /**
   * What `tailscale up --authkey=…` does: registers a device with the key. A one-use key works once; the
   * device gets the key's tags. Returns undefined when the key is refused.
   */
  joinWithKey(secret: string, hostname: string): FakeDevice | undefined {
    const k = this.keys.find((x) => x.key === secret);
    if (!k || (!k.reusable && k.uses > 0)) return undefined;
    k.uses++;
    const n = this.nextIp++;
    const dev: FakeDevice = {
      id: String(100000 + n),
      nodeId: `n${n}FAKECNTRL`,
      name: `${hostname}.tail4a2b.ts.net`,
      hostname,
      addresses: [`100.64.0.${n}`, `fd7a:115c:a1e0::${n.toString(16)}`],
      tags: k.tags,
      authorized: k.preauthorized,
      ephemeral: k.ephemeral,
    };
    this.devices.set(dev.id, dev);
    return dev;
  }

  private error(status: number, message: string): Response {
    return Response.json({ message }, { status });
  }

  private authorized(req: Request): boolean {
    const h = req.headers.get('authorization') ?? '';
    if (!h.startsWith('Bearer ')) return false;
    const t = h.slice('Bearer '.length);
    return (this.options.apiKeys ?? []).includes(t) || this.liveTokens.has(t);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    this.requests.push({ method: req.method, path, authorization: req.headers.get('authorization') });
    const o = this.overrides.get(path);
    if (o) return Response.json(o.body, { status: o.status });

    if (path === '/api/v2/oauth/token' && req.method === 'POST') return this.token(req);
    if (!this.authorized(req)) return this.error(401, 'API token invalid');

    const m = path.match(/^\/api\/v2\/tailnet\/([^/]+)\/(keys|devices)$/);
    if (m) {
      const tn = decodeURIComponent(m[1] ?? '');
      if (tn !== '-' && tn !== this.options.tailnet) return this.error(404, 'tailnet not found');
      if (m[2] === 'keys' && req.method === 'POST') return this.createKey(await req.json().catch(() => null));
      if (m[2] === 'devices' && req.method === 'GET') {
        return Response.json({
          devices: [...this.devices.values()].map((d) => ({
            addresses: d.addresses,
            id: d.id,
            nodeId: d.nodeId,
            user: 'tagged-devices',
            name: d.name,
            hostname: d.hostname,
            clientVersion: '1.80.0',
            updateAvailable: false,
            os: 'linux',
            created: '2030-01-01T00:00:00Z',
            lastSeen: '2030-01-01T00:00:00Z',
            keyExpiryDisabled: true,
            expires: '0001-01-01T00:00:00Z',
            authorized: d.authorized,
            isExternal: false,
            machineKey: '',
            nodeKey: `nodekey:${d.id}`,
            blocksIncomingConnections: false,
            ...(d.tags.length ? { tags: d.tags } : {}),
          })),
        });
      }
    }
    const dm = path.match(/^\/api\/v2\/device\/([^/]+)$/);
    if (dm && req.method === 'DELETE') {
      const id = decodeURIComponent(dm[1] ?? '');
      if (!this.devices.delete(id)) return this.error(404, 'device not found');
      return new Response(null, { status: 200 });
    }
    return this.error(404, 'not found');
  }

  private async token(req: Request): Promise<Response> {
    const form = new URLSearchParams(await req.text());
    const ok = (this.options.oauthClients ?? []).some(
      (c) => c.clientId === form.get('client_id') && c.clientSecret === form.get('client_secret'),
    );
    if (!ok) return this.error(401, 'invalid client credentials');
    const token = `tskey-api-fake${randomBytes(8).toString('hex')}`;
    this.issuedTokens.push(token);
    this.liveTokens.add(token);
    return Response.json({
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.options.oauthTokenTtlSeconds ?? 3600,
      scope: 'auth_keys devices:core',
    });
  }

  private createKey(body: unknown): Response {
    const create = (body as { capabilities?: { devices?: { create?: Record<string, unknown> } } } | null)
      ?.capabilities?.devices?.create;
    if (!create) return this.error(400, 'capabilities.devices.create is required');
    const tags = Array.isArray(create.tags) ? (create.tags as string[]) : [];
    const allowed = this.options.allowedTags;
    for (const t of tags) {
      if (!t.startsWith('tag:') || (allowed && !allowed.includes(t))) {
        return this.error(400, `requested tags [${t}] are invalid or not permitted`);
      }
    }
    const b = body as { expirySeconds?: number; description?: string };
    const k: FakeKey = {
      id: `k${randomBytes(5).toString('hex')}CNTRL`,
      key: `tskey-auth-k${randomBytes(6).toString('hex')}CNTRL-${randomBytes(16).toString('hex')}`,
      reusable: create.reusable === true,
      ephemeral: create.ephemeral === true,
      preauthorized: create.preauthorized === true,
      tags,
      expirySeconds: b.expirySeconds ?? 7776000,
      description: b.description ?? '',
      uses: 0,
    };
    this.keys.push(k);
    const created = new Date(Date.UTC(2030, 0, 1));
    return Response.json({
      id: k.id,
      key: k.key,
      created: created.toISOString(),
      expires: new Date(created.getTime() + k.expirySeconds * 1000).toISOString(),
      capabilities: {
        devices: {
          create: { reusable: k.reusable, ephemeral: k.ephemeral, preauthorized: k.preauthorized, tags },
        },
      },
      description: k.description,
    });
  }
}
