// The Tailscale API v2 client of the control plane: one-use tagged auth keys for new nodes, and device removal.
import * as v from 'valibot';
import { type Clock, systemClock } from '../clock.ts';
import { createBearerSource, type TailscaleCredentials } from './api-credentials.ts';
import { codeForStatus, TailscaleApiError } from './api-error.ts';
import { ApiErrorBody, CreatedKey, type Device, DeviceList } from './api-shapes.ts';

export interface TailscaleApiConfig {
  /** API root. Default `https://api.tailscale.com`; tests point it at the local fake. */
  baseUrl: string;
  /** Tailnet name (organisation) as the admin console shows it; `-` means the credential's own tailnet. */
  tailnet: string;
  credentials: TailscaleCredentials;
  /** Tags every Warren node gets. Default `tag:warren-node`: ACLs grant node↔node traffic by it, and the mesh peer check requires it. */
  nodeTags: string[];
  /** Life of an auth key. Default 1 h: long enough for a VM to boot and run cloud-init, short if it leaks. */
  authKeyTtlSeconds: number;
  /** Per request. Default 15 s. */
  timeoutMs: number;
}

/** Defaults apart from the tailnet and credentials, which have none. */
export function defaultTailscaleApiConfig(
  tailnet: string,
  credentials: TailscaleCredentials,
): TailscaleApiConfig {
  return {
    baseUrl: 'https://api.tailscale.com',
    tailnet,
    credentials,
    nodeTags: ['tag:warren-node'],
    authKeyTtlSeconds: 3600,
    timeoutMs: 15_000,
  };
}

/** A freshly minted auth key. `key` is a secret: hand it to one node's user data and never log it. */
export interface NodeAuthKey {
  id: string;
  key: string;
  expiresAt: Date;
  ephemeral: boolean;
  tags: string[];
}

export interface TailscaleApi {
  /**
   * Mints a one-use (reusable: false), pre-authorized auth key carrying the node tags, so exactly one new
   * device joins without approval. `ephemeral`: the device is removed by Tailscale when it goes offline
   * (warm-pool and local test nodes); persistent nodes use `false`.
   */
  createNodeAuthKey(input: { nodeId: string; ephemeral: boolean; tags?: string[] }): Promise<NodeAuthKey>;
  /** The devices of the tailnet. */
  listDevices(): Promise<Device[]>;
  /** The device whose hostname (or first MagicDNS label) is `hostname`, if any. */
  findDevice(hostname: string): Promise<Device | undefined>;
  /** Removes a device; `false` when it was already gone (a 404), so a delete can be retried safely. */
  deleteDevice(deviceId: string): Promise<boolean>;
}

export function createTailscaleApi(
  config: TailscaleApiConfig,
  options: { clock?: Clock } = {},
): TailscaleApi {
  const bearer = createBearerSource(config.credentials, {
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    clock: options.clock ?? systemClock,
  });
  const tailnet = encodeURIComponent(config.tailnet);

  async function call(method: string, path: string, what: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await bearer.token();
      let res: Response;
      try {
        res = await fetch(`${config.baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch {
        throw new TailscaleApiError(
          'tailscale_unreachable',
          0,
          `${what}: the Tailscale API could not be reached`,
        );
      }
      // An OAuth access token can be revoked before its expiry: fetch a new one once.
      if (res.status === 401 && config.credentials.kind === 'oauth' && attempt === 0) {
        bearer.invalidate();
        continue;
      }
      return res;
    }
  }

  async function expectOk(res: Response, what: string): Promise<unknown> {
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const msg = v.is(ApiErrorBody, body) ? `: ${body.message}` : '';
      throw new TailscaleApiError(
        codeForStatus(res.status),
        res.status,
        `${what}: Tailscale answered ${res.status}${msg}`,
      );
    }
    return body;
  }

  function shape<S extends v.GenericSchema>(schema: S, body: unknown, what: string): v.InferOutput<S> {
    const r = v.safeParse(schema, body);
    if (r.success) return r.output;
    const issue = r.issues[0];
    const at = issue?.path?.map((p) => String(p.key)).join('.') || '(root)';
    throw new TailscaleApiError(
      'tailscale_bad_response',
      200,
      `${what}: unexpected shape at '${at}': ${issue?.message}`,
    );
  }

  const api: TailscaleApi = {
    async createNodeAuthKey({ nodeId, ephemeral, tags }) {
      const what = 'create auth key';
      const wantTags = tags ?? config.nodeTags;
      const res = await call('POST', `/api/v2/tailnet/${tailnet}/keys`, what, {
        capabilities: {
          devices: { create: { reusable: false, ephemeral, preauthorized: true, tags: wantTags } },
        },
        expirySeconds: config.authKeyTtlSeconds,
        description: `warren node ${nodeId}`.slice(0, 50),
      });
      const key = shape(CreatedKey, await expectOk(res, what), what);
      const caps = key.capabilities.devices.create;
      // A key that could join more than one device, or without the node tags, would widen what a leak gives.
      if (caps.reusable || !wantTags.every((t) => caps.tags.includes(t))) {
        throw new TailscaleApiError(
          'tailscale_bad_response',
          res.status,
          `${what}: Tailscale returned a key that is ${caps.reusable ? 'reusable' : 'missing the node tags'}`,
        );
      }
      return {
        id: key.id,
        key: key.key,
        expiresAt: new Date(key.expires),
        ephemeral: caps.ephemeral,
        tags: caps.tags,
      };
    },
    async listDevices() {
      const what = 'list devices';
      const res = await call('GET', `/api/v2/tailnet/${tailnet}/devices`, what);
      return shape(DeviceList, await expectOk(res, what), what).devices;
    },
    async findDevice(hostname) {
      const devices = await api.listDevices();
      return devices.find((d) => d.hostname === hostname || d.name.split('.')[0] === hostname);
    },
    async deleteDevice(deviceId) {
      const what = 'delete device';
      const res = await call('DELETE', `/api/v2/device/${encodeURIComponent(deviceId)}`, what);
      if (res.status === 404) return false;
      await expectOk(res, what);
      return true;
    },
  };
  return api;
}
