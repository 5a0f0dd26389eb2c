// control/tailscale: the Tailscale API v2 client (one-use tagged auth keys for new nodes, device removal).
export {
  createTailscaleApi,
  defaultTailscaleApiConfig,
  type NodeAuthKey,
  type TailscaleApi,
  type TailscaleApiConfig,
} from './api-client.ts';
export type { TailscaleCredentials } from './api-credentials.ts';
export { TailscaleApiError, type TailscaleApiErrorCode } from './api-error.ts';
export type { Device as TailscaleDevice } from './api-shapes.ts';
