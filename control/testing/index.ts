// Test entry of the control plane: a real control plane on port 0 with a temp data dir, driven by the generated client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlClient, createControlClient } from '../../openapi/client/index.ts';
import type { Clock } from '../clock.ts';
import { type ControlConfig, defaultControlConfig } from '../config.ts';
import type { ControlDeps } from '../deps.ts';
import type { GitHubConfig } from '../github/index.ts';
import { localHardeningConfig } from '../hardening/index.ts';
import { createLog } from '../log.ts';
import { type StartOptions, startControl } from '../server.ts';
import { proveEveryCall, type TestNodeCredential } from './node-proof.ts';

// The one `eventually` of every test lives with the mesh, the layer node and control both build on.
// One fake clock for every test: the mesh's, which also schedules timers (control reads only `now`).
export { eventually, FakeClock } from '../../mesh/testing/index.ts';
export {
  deliverWebhook,
  type FakeGitHub,
  type GitHubWorld,
  startGitHubWorld,
  WORLD,
  WORLD_INSTALLATION,
} from '../github/testing/index.ts';
export { DATABASE_BACKENDS, type DatabaseBackend } from './database-backends.ts';
export { firstMigrations, migrationsBefore } from './first-migrations.ts';
export {
  type GitHubSignInResult,
  manualRedirectClient,
  setCookies,
  signInWithGitHub,
} from './github-sign-in.ts';
export { type JoinTestNodeOptions, joinTestNode } from './join-node.ts';
export { createTestNodeKey, type TestNodeKey } from './node-key.ts';
export {
  nodeHeaders,
  type ProofFor,
  proveEveryCall,
  signNodeProof,
  type TestNodeCredential,
} from './node-proof.ts';
export { type PushRecorder, type RecordedPush, startPushRecorder } from './push-recorder.ts';
export { seedRows } from './seed-rows.ts';
export { type RunningSqld, startSqld } from './sqld.ts';
export { testNodeRow, testWorkspaceRow } from './store-rows.ts';
/** Rate limits far above any test's bursts; a bench or test that needs other limits starts from it. */
export { localHardeningConfig };

export interface TestControl {
  url: string;
  /** The generated client, authenticated as the first admin. */
  client: ControlClient;
  adminToken: string;
  dataDir: string;
  /** The wired internals, for assertions a client cannot make (e.g. the store). */
  deps: ControlDeps;
  /** A client with another token (or none). */
  clientWith(token?: string): ControlClient;
  /** A client calling as `node`: its certificate, and a proof signed with its key on the control's clock per call. */
  nodeClient(node: TestNodeCredential): ControlClient;
  stop(): Promise<void>;
}

export interface TestControlOptions {
  /** A libSQL URL (e.g. a test sqld); default a file in the temp data dir. */
  dbUrl?: string;
  clock?: Clock;
  /** Overrides of the config defaults (e.g. shorter liveness thresholds). */
  config?: Partial<ControlConfig>;
  /** A GitHub App configuration, e.g. `startGitHubWorld().config` pointing at the FakeGitHub. */
  github?: GitHubConfig;
  /** A node provider other than the configured one (e.g. Hetzner on MockNodeStacks). */
  provider?: StartOptions['provider'];
  /** The peers' view of each node (alive, suspect, dead, left), as a mesh member would report it. */
  peerState?: StartOptions['peerState'];
  /**
   * Another replica of `replicaOf` on its database (`dbUrl` and `config.masterKey` the same): no first start
   * here, the client uses the first replica's admin token.
   */
  replicaOf?: TestControl;
}

/** Starts a control plane on 127.0.0.1:0 with a fresh data dir; stop() removes it. */
/** A second control plane on `of`'s database file and master key, as a replica behind a load balancer would be. */
export async function startTestReplica(of: TestControl): Promise<TestControl> {
  const masterKey = (await Bun.file(join(of.dataDir, 'master.key')).text()).trim();
  return startTestControl({
    dbUrl: `file:${join(of.dataDir, 'control.db')}`,
    config: { masterKey: new Uint8Array(Buffer.from(masterKey, 'base64url')) },
    replicaOf: of,
  });
}

export async function startTestControl(options: TestControlOptions = {}): Promise<TestControl> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-control-'));
  const config: ControlConfig = {
    ...defaultControlConfig(dataDir),
    port: 0,
    // In-process tests run without a mesh member unless they ask for one (tests/mesh-*.test.ts spawn processes).
    meshListen: null,
    // Tests mint tokens and fail authentication on purpose, all from 127.0.0.1; the limits' own tests set theirs.
    hardening: localHardeningConfig(),
    ...(options.dbUrl ? { dbUrl: options.dbUrl } : {}),
    ...(options.github ? { github: options.github } : {}),
    ...options.config,
  };
  const running = await startControl(config, {
    log: createLog({ quiet: true }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.peerState ? { peerState: options.peerState } : {}),
  });
  const adminToken = running.firstStart?.adminToken ?? options.replicaOf?.adminToken;
  if (!adminToken) throw new Error('a fresh test control plane must bootstrap an admin');
  return {
    url: running.url,
    client: createControlClient(running.url, { token: adminToken }),
    adminToken,
    dataDir,
    deps: running.deps,
    clientWith: (token) => createControlClient(running.url, token ? { token } : {}),
    nodeClient: (node) =>
      proveEveryCall(createControlClient(running.url, { token: node.certificate }), node.key.privateKey, () =>
        running.deps.clock.now(),
      ),
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
export { defaultInfraConfig } from '../fleet/index.ts';
export { hashSecret, newSecret } from '../identity/index.ts';
export { createHetznerProvider, defaultHetznerConfig } from '../providers/index.ts';
/** Node stacks running the real Hetzner program under Pulumi mocks; loaded on demand (Pulumi's SDK is heavy). */
export const loadMockNodeStacks = async () => (await import('../providers/testing/index.ts')).MockNodeStacks;
export { defaultTailscaleApiConfig } from '../tailscale/index.ts';
export { type FakeTailscaleApi, startFakeTailscaleApi } from '../tailscale/testing/index.ts';
