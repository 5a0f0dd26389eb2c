// node/testing: a test issuer that speaks the control plane's wire shapes, a test node, an echo app, a git server.

// The one `eventually` of every test lives with the mesh, the layer node and control both build on.
export { eventually } from '../../mesh/testing/index.ts';
export { AgentSocketClient, FIXTURE_AGENT, fixtureAgentCommand } from '../agent/testing/index.ts';
// The runtimes and isolations themselves, for benchmarks that drive them without a node around them.
export { defaultSandboxConfig } from '../config.ts';
export {
  askCredential,
  createBareRepo,
  type GitHttpServer,
  git,
  isolatedGitEnv,
  socketConnects,
  startGitHttpServer,
} from '../git/testing/index.ts';
// The key of a node's data dir, for tests that call the control plane as that node.
export { loadOrCreateIdentity } from '../identity.ts';
export {
  FakeLocalApi,
  type FakeLocalApiOptions,
  type FakeTailnetDevice,
  startFakeLocalApi,
} from '../tailscale/testing/index.ts';
export {
  createProcessRuntime,
  createSandboxIsolation,
  createWorkspaceRuntime,
  groupMembers,
} from '../workspaces/index.ts';
export { ECHO_APP, type ProxyFixture, startProxyFixture } from './fixture.ts';
export { liveDescendants, openListeners } from './process-inventory.ts';
export { rawSession } from './raw-http.ts';
export { screenLines } from './screen-lines.ts';
export { hostedRoute, startTestIngress, type TestIngress } from './test-ingress.ts';
export { type MintOptions, startTestIssuer, type TestIssuer } from './test-issuer.ts';
export { startTestNode, type TestNode, type TestNodeOptions, tempDataDir } from './test-node.ts';
export { createTestProver, type TestProver } from './test-prover.ts';
export { type TestScope, testScope } from './test-scope.ts';
export { workspaceSpec } from './workspace-spec.ts';
