// node/tailscale/testing: a fake tailscaled LocalAPI on a unix socket, for tests of this folder and of the node.
export {
  FakeLocalApi,
  type FakeLocalApiOptions,
  type FakeTailnetDevice,
  type SeenRequest,
  startFakeLocalApi,
} from './fake-local-api.ts';
