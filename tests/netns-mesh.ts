// A control plane and three nodes, each in a network namespace of its own on one bridge: the cluster of the
// namespace tests and of the partial-partition benchmark, with the calls both make into it.
import { rmSync } from 'node:fs';
import { ECHO_APP, eventually } from '../node/testing/index.ts';
import type { LoadPlan, LoadReport } from './fixtures/forward-load.ts';
import {
  type ControlProc,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
} from './mesh-harness.ts';
import { createNetnsTopology, curlIn, type NetnsTopology } from './netns.ts';

const MEMBERS = { ctl: 10, a: 11, b: 12, c: 13 } as const;
export type Member = keyof typeof MEMBERS;
export type NodeName = Exclude<Member, 'ctl'>;
const NODE_NAMES: NodeName[] = ['a', 'b', 'c'];
const LOAD = `${import.meta.dir}/fixtures/forward-load.ts`;

/** What a member's /_node/members says. */
export interface MeshView {
  members: { id: string; state: string }[];
  metrics: { deaths: number; suspicions: number };
  registry: { digest: Record<string, number> };
}

export interface NetnsMesh {
  net: NetnsTopology<Member>;
  control: ControlProc;
  nodes: Record<NodeName, NodeProc>;
  /** One HTTP request with curl from inside `n`'s namespace. */
  curl(n: Member, url: string, o?: Parameters<typeof curlIn>[2]): ReturnType<typeof curlIn>;
  /** The control API, called from the control plane's namespace with the admin token. */
  // biome-ignore lint/suspicious/noExplicitAny: the control API's JSON, read field by field as the tests need it
  call(path: string, method?: string, body?: unknown): Promise<{ status: number; data: any }>;
  /** `/_node/members` or `/_node/registry` of `n`, asked on its loopback with its admin credential. */
  viewOf(n: NodeName, path: '/_node/members' | '/_node/registry'): ReturnType<typeof curlIn>;
  meshOf(n: NodeName): Promise<MeshView>;
  /** `GET /w/{id}/hello` at node `n`. */
  via(n: NodeName, id: string, token: string): ReturnType<typeof curlIn>;
  /** Places an echo workspace on `nodeId` and waits until it runs; returns its id and an `http` token. */
  createWorkspace(name: string, nodeId: string): Promise<{ id: string; token: string }>;
  /** Runs tests/fixtures/forward-load.ts inside `n`'s namespace and returns its report. */
  loadAt(n: NodeName, plan: LoadPlan): Promise<LoadReport>;
  stop(): Promise<void>;
}

/** Makes the namespaces, starts control + nodes a, b, c in them, and waits until all four see each other alive. */
export async function startNetnsMesh(o: {
  prefix: string;
  subnet: string;
  env: Record<string, string>;
}): Promise<NetnsMesh> {
  const net = createNetnsTopology(o.prefix, o.subnet, MEMBERS);
  const nodes = {} as Record<NodeName, NodeProc>;
  let control: ControlProc | undefined;
  const api = `http://${net.ip('ctl')}:7400`;
  const curl = (n: Member, url: string, c: Parameters<typeof curlIn>[2] = {}) => curlIn(net.wrap(n), url, c);
  const call = async (path: string, method = 'GET', body?: unknown) => {
    const r = await curl('ctl', `${api}${path}`, { method, body, token: control!.adminToken });
    return { status: r.status, data: r.body ? JSON.parse(r.body) : undefined };
  };
  const viewOf = (n: NodeName, path: '/_node/members' | '/_node/registry') =>
    curl(n, `http://127.0.0.1:7420${path}`, { token: nodes[n].adminCredential });
  const meshOf = async (n: NodeName) => JSON.parse((await viewOf(n, '/_node/members')).body) as MeshView;
  const stop = async () => {
    await Promise.all(Object.values(nodes).map((n) => stopProcess(n)));
    await stopProcess(control);
    net.tearDown();
    for (const n of Object.values(nodes)) rmSync(n.dataDir, { recursive: true, force: true });
    if (control) rmSync(control.dataDir, { recursive: true, force: true });
  };
  try {
    control = await startControlProcess({
      wrap: net.wrap('ctl'),
      host: net.ip('ctl'),
      port: 7400,
      meshListen: `${net.ip('ctl')}:7401`,
      env: o.env,
    });
    for (const n of NODE_NAMES) {
      const jt = await call('/api/v1/join-tokens', 'POST', {});
      nodes[n] = await startNodeProcess({
        wrap: net.wrap(n),
        controlUrl: api,
        joinToken: jt.data.token,
        name: n,
        listen: '0.0.0.0:7420',
        advertise: `http://${net.ip(n)}:7420`,
        meshListen: `${net.ip(n)}:7421`,
        env: o.env,
      });
    }
    await eventually(
      async () => {
        for (const n of NODE_NAMES) {
          if ((await meshOf(n)).members.filter((m) => m.state === 'alive').length < 4) return false;
        }
        return true;
      },
      'four members alive everywhere',
      20_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    net,
    control,
    nodes,
    curl,
    call,
    viewOf,
    meshOf,
    via: (n, id, token) => curl(n, `http://127.0.0.1:7420/w/${id}/hello`, { token }),
    async createWorkspace(name, nodeId) {
      const project = await call('/api/v1/projects', 'POST', { name });
      const ws = await call('/api/v1/workspaces', 'POST', {
        name,
        projectId: project.data.id,
        nodeId,
        appCommand: `exec ${process.execPath} ${ECHO_APP}`,
      });
      const id = ws.data.id as string;
      await eventually(
        async () => (await call(`/api/v1/workspaces/${id}`)).data?.status === 'running',
        `workspace ${name} running`,
        20_000,
      );
      const token = (await call(`/api/v1/workspaces/${id}/tokens`, 'POST', { scopes: ['http'] })).data
        .token as string;
      return { id, token };
    },
    async loadAt(n, plan) {
      const proc = Bun.spawn([...net.wrap(n), process.execPath, LOAD, JSON.stringify(plan)], {
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const out = await new Response(proc.stdout).text();
      if ((await proc.exited) !== 0) throw new Error(`load: ${await new Response(proc.stderr).text()}`);
      return JSON.parse(out) as LoadReport;
    },
    stop,
  };
}
