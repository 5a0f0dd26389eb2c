// The LocalAPI JSON shapes Warren reads (tailscale ipn/ipnstate Status, apitype WhoIsResponse), as valibot schemas.
import * as v from 'valibot';

// Field names follow tailscaled's Go structs (encoded with Go's default JSON names). Only the fields Warren
// reads are required; everything else tailscaled sends passes through unchecked (v.object drops unknown
// keys), so a newer tailscaled that adds fields still decodes.

/** A Tailscale IP without prefix, IPv4 (100.64.0.0/10) or IPv6 (fd7a:115c:a1e0::/48). */
const TailscaleIp = v.pipe(v.string(), v.minLength(2), v.maxLength(64));

/** ipnstate.PeerStatus: one node as this node sees it (Self has the same shape). */
export const PeerStatus = v.object({
  /** tailcfg.StableNodeID, e.g. `nTKJr9CNTRL`: stays the same across key rotations and IP changes. */
  ID: v.pipe(v.string(), v.minLength(1, 'must be a stable node ID')),
  PublicKey: v.optional(v.string(), ''),
  HostName: v.string(),
  /** MagicDNS FQDN, ending with a dot: `host.tailnet-name.ts.net.` */
  DNSName: v.string(),
  OS: v.optional(v.string(), ''),
  UserID: v.optional(v.number(), 0),
  /** Absent (null) before the node has addresses. */
  TailscaleIPs: v.nullish(v.array(TailscaleIp), []),
  Tags: v.nullish(v.array(v.string()), []),
  Online: v.optional(v.boolean(), false),
});
export type PeerStatus = v.InferOutput<typeof PeerStatus>;

/** ipn.State names tailscaled reports in BackendState. */
export const BACKEND_STATES = [
  'NoState',
  'NeedsLogin',
  'NeedsMachineAuth',
  'Stopped',
  'Starting',
  'Running',
] as const;

/** ipnstate.Status: GET /localapi/v0/status. */
export const LocalStatus = v.object({
  Version: v.optional(v.string(), ''),
  BackendState: v.picklist(BACKEND_STATES, 'must be an ipn.State name'),
  TailscaleIPs: v.nullish(v.array(TailscaleIp), []),
  /** Absent while logged out. */
  Self: v.nullish(PeerStatus),
  MagicDNSSuffix: v.optional(v.string(), ''),
  CurrentTailnet: v.nullish(
    v.object({ Name: v.string(), MagicDNSSuffix: v.string(), MagicDNSEnabled: v.optional(v.boolean()) }),
  ),
  /** Keyed by node public key (`nodekey:…`); null when there are no peers. */
  Peer: v.nullish(v.record(v.string(), PeerStatus), {}),
});
export type LocalStatus = v.InferOutput<typeof LocalStatus>;

/** tailcfg.Node as whois returns it. */
export const TailnetNode = v.object({
  /** Numeric tailcfg.NodeID. */
  ID: v.number(),
  StableID: v.pipe(v.string(), v.minLength(1, 'must be a stable node ID')),
  /** MagicDNS FQDN with trailing dot. */
  Name: v.string(),
  User: v.number(),
  /** The node's addresses as prefixes, `100.101.102.103/32` and an IPv6 `/128`. */
  Addresses: v.array(v.pipe(v.string(), v.regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be an IP prefix'))),
  Tags: v.nullish(v.array(v.string()), []),
  Expired: v.optional(v.boolean(), false),
  ComputedName: v.optional(v.string(), ''),
});
export type TailnetNode = v.InferOutput<typeof TailnetNode>;

/** tailcfg.UserProfile. For tagged nodes this is the `tagged-devices` pseudo-user. */
export const TailnetUserProfile = v.object({
  ID: v.number(),
  LoginName: v.string(),
  DisplayName: v.optional(v.string(), ''),
});
export type TailnetUserProfile = v.InferOutput<typeof TailnetUserProfile>;

/** apitype.WhoIsResponse: GET /localapi/v0/whois?addr=ip:port. Node and UserProfile are never nil on success. */
export const WhoIsResponse = v.object({
  Node: TailnetNode,
  UserProfile: TailnetUserProfile,
  CapMap: v.nullish(v.record(v.string(), v.unknown()), {}),
});
export type WhoIsResponse = v.InferOutput<typeof WhoIsResponse>;
