// An ingress node for proxy tests and benchmarks: a raw front and its full server that host nothing, with a registry
// view given by a function, so requests for any workspace are forwarded to whichever node `route` names.
import type { Route } from '../../mesh/index.ts';
import type { TokenVerifier } from '../auth/index.ts';
import { Metrics } from '../metrics.ts';
import {
  createSocketHandler,
  type ForwardConfig,
  LiveSessions,
  localForwardConfig,
  type MeshRoutes,
  NOT_A_WORKSPACE,
  type SocketData,
  startRawFront,
  WorkspaceProxy,
} from '../proxy/index.ts';
import type { Runtime } from '../workspaces/index.ts';

export interface TestIngress {
  url: string;
  /** Nodes that a forward could not reach, as membership would hear of them. */
  reported: string[];
  /** A counter's value from this ingress's metrics, e.g. `warren_proxy_requests_total{outcome="forwarded_fast"}`. */
  count(name: string): number;
  stop(): void;
}

/** The route of a running workspace on `nodeId`, whose proxy is at `proxyUrl`. */
export function hostedRoute(nodeId: string, workspaceId: string, proxyUrl: string): Route {
  return {
    found: true,
    workspace: { workspaceId, nodeId, status: 'running', ports: [3000] },
    nodeId,
    host: { state: 'alive', proxyUrl },
    available: true,
    retryAfterSeconds: 0,
    conflicts: [],
  };
}

/** Starts the ingress on loopback port 0; `config` overrides localForwardConfig(). */
export function startTestIngress(o: {
  verifier: TokenVerifier;
  route: (workspaceId: string) => Route;
  config?: Partial<ForwardConfig>;
}): TestIngress {
  const { verifier } = o;
  const metrics = new Metrics();
  const reported: string[] = [];
  const routes: MeshRoutes = {
    selfId: 'nd-ingress',
    route: o.route,
    state: () => 'alive',
    reportUnreachable: (id) => reported.push(id),
  };
  const runtime = { get: () => undefined } as unknown as Runtime;
  const sessions = new LiveSessions({ verifier, intervalMs: 60_000 });
  const proxy = new WorkspaceProxy({
    verifier,
    runtime,
    baseDomain: 'localhost',
    metrics,
    mesh: routes,
    forward: { ...localForwardConfig(), ...o.config },
  });
  const server = Bun.serve<SocketData>({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req, srv) {
      const r = proxy.handle(req, srv);
      return r === NOT_A_WORKSPACE ? new Response('not a workspace', { status: 404 }) : r;
    },
    // Forwarded WebSockets (terminals, agents, apps on the host) are bridges: pumped both ways here.
    websocket: createSocketHandler(runtime, undefined, sessions),
  });
  const front = startRawFront({
    hostname: '127.0.0.1',
    port: 0,
    internalPort: server.port as number,
    baseDomain: 'localhost',
    verifier,
    runtime,
    metrics,
    clientAddresses: new Map(),
    sessions,
    mesh: proxy.hop && { routes, hop: proxy.hop },
  });
  return {
    url: `http://127.0.0.1:${front.port}`,
    reported,
    count: (name) =>
      Number(new RegExp(`${name.replace(/[{}]/g, '\\$&')} (\\d+)`).exec(metrics.render())?.[1] ?? 0),
    stop() {
      front.stop();
      server.stop(true);
      sessions.stop();
      proxy.hop?.close();
    },
  };
}
