// node/tailscale: the tailscaled LocalAPI client (status, whois) and the mesh peer check for `--network tailscale`.
export { type TailnetAdvertisement, tailnetAdvertisement } from './advertisement.ts';
export {
  createLocalApiClient,
  defaultTailscaleLocalConfig,
  type LocalApiClient,
  type TailnetIdentity,
  type TailnetPeer,
  type TailnetSelf,
  type TailscaleLocalConfig,
  tailnetAddress,
} from './local-api-client.ts';
export { LocalApiError, type LocalApiErrorCode } from './local-api-error.ts';
export {
  checkMeshPeer,
  defaultPeerCheckConfig,
  hostOf,
  type MeshPeerCertificate,
  type PeerCheck,
  type PeerCheckConfig,
  type PeerRejection,
  verifyMeshPeer,
} from './peer-check.ts';
export {
  createPeerCheckCache,
  defaultPeerCheckCacheConfig,
  type PeerCheckCache,
  type PeerCheckCacheConfig,
} from './peer-check-cache.ts';
export {
  createTailnetPeerTransport,
  TAILNET_REJECTIONS,
  type TailnetPeerTransportOptions,
  type TailnetRejection,
} from './peer-transport.ts';
