// The Tailscale API v2 JSON shapes Warren reads (keys, devices, OAuth token), as valibot schemas.
import * as v from 'valibot';

// Only the fields Warren reads are required; others pass through unchecked so API additions do not break us.

/** `capabilities.devices.create` of an auth key. */
export const KeyCreateCapabilities = v.object({
  reusable: v.boolean(),
  ephemeral: v.optional(v.boolean(), false),
  preauthorized: v.optional(v.boolean(), false),
  tags: v.optional(v.array(v.string()), []),
});

/** Answer to `POST /api/v2/tailnet/{tailnet}/keys`: the only time the key's secret is shown. */
export const CreatedKey = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  key: v.pipe(v.string(), v.startsWith('tskey-auth-', 'must be an auth key (tskey-auth-…)')),
  created: v.string(),
  expires: v.pipe(v.string(), v.isoTimestamp('must be an RFC 3339 time')),
  capabilities: v.object({ devices: v.object({ create: KeyCreateCapabilities }) }),
});
export type CreatedKey = v.InferOutput<typeof CreatedKey>;

/** One device of `GET /api/v2/tailnet/{tailnet}/devices`. */
export const Device = v.object({
  /** The device ID the `/api/v2/device/{id}` routes take. */
  id: v.pipe(v.string(), v.minLength(1)),
  /** The stable node ID (`n…CNTRL`), the one the LocalAPI reports as StableID. */
  nodeId: v.pipe(v.string(), v.minLength(1)),
  /** MagicDNS FQDN, e.g. `nd-alpha.tail4a2b.ts.net`. */
  name: v.string(),
  hostname: v.string(),
  addresses: v.array(v.string()),
  tags: v.optional(v.array(v.string()), []),
  authorized: v.optional(v.boolean(), false),
});
export type Device = v.InferOutput<typeof Device>;

export const DeviceList = v.object({ devices: v.array(Device) });

/** RFC 6749 client-credentials answer of `POST /api/v2/oauth/token`. */
export const OAuthToken = v.object({
  access_token: v.pipe(v.string(), v.minLength(1)),
  token_type: v.pipe(
    v.string(),
    v.check((t) => t.toLowerCase() === 'bearer', 'must be a Bearer token'),
  ),
  expires_in: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

/** Tailscale's error body. */
export const ApiErrorBody = v.object({ message: v.string() });
