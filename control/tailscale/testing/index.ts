// control/tailscale/testing: a local fake of the Tailscale API v2 for tests of the client and the providers.
export {
  type FakeDevice,
  type FakeKey,
  FakeTailscaleApi,
  type FakeTailscaleApiOptions,
  startFakeTailscaleApi,
} from './fake-tailscale-api.ts';
