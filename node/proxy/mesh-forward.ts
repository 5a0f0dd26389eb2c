// Requests for workspaces hosted elsewhere: the registry names the hosting node, we forward once over the mesh.
//
// Loops are impossible by construction: the ingress node marks what it forwards with HOP_HEADER (after
// stripping any client-supplied copy), and a node never forwards a request that carries it — a request that
// reaches a node which does not host the workspace is answered 421 with that node's view, and the ingress
// retries once with its own updated route. A client that sets the header itself on a node gains nothing:
// that node only refuses to forward, and still checks the token before it says anything.
import type { Server } from 'bun';
import { errorResponse as wireError } from '../../contract/index.ts';
import type { Route } from '../../mesh/index.ts';
import { TokenError, type TokenVerifier, type VerifiedToken } from '../auth/index.ts';
import type { Metrics } from '../metrics.ts';
import { type Convergence, unknownWorkspace } from './convergence.ts';
import { findProof } from './credentials.ts';
import type { ForwardConfig } from './forward-config.ts';
import { HOP_BY_HOP, WEBSOCKET_HANDSHAKE } from './hop-by-hop.ts';
import { type HopResult, PeerHop } from './peer-hop.ts';
import { forbidden, notFound, unauthorized, unavailable } from './responses.ts';
import { scopeOf, type WorkspaceRoute } from './route.ts';
import type { SocketData } from './socket-data.ts';
import { openBridge, upgradeToBridge } from './websocket-bridge.ts';

/** Set by the ingress node on a forwarded request; a node never forwards a request that carries it. */
export const HOP_HEADER = 'x-warren-hop';

/** What forwarding needs from the mesh. */
export interface MeshRoutes {
  /** This node's id (its origin in the registry). */
  readonly selfId: string;
  route(workspaceId: string): Route;
  /** The member state of a node as this node sees it. */
  state(nodeId: string): string | undefined;
  /** Local evidence for membership: a forward to `nodeId` got no answer (membership probes it at once). */
  reportUnreachable?(nodeId: string): void;
}

/** Headers not sent to the hosting node: hop-by-hop ones, a proxy's credential, and our own hop marker. */
export const NOT_FOR_PEERS: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'proxy-authorization', HOP_HEADER]);

/** How long a 421 naming another host may wait for our registry to learn the move (about a few gossip rounds). */
const STALE_WAIT_MS = 1_000;

/** How often an in-flight forward re-checks the host's liveness before its response headers arrive. */
const WATCH_MS = 200;

/** Forwards requests for workspaces this node does not host. */
export class MeshForwarder {
  /** The hop to hosting nodes: deadlines, a breaker and an in-flight cap per host. */
  readonly hop: PeerHop;

  constructor(
    private readonly o: {
      verifier: TokenVerifier;
      routes: MeshRoutes;
      metrics: Metrics;
      config: ForwardConfig;
      /** Whether an unknown workspace may only be not known yet; absent: unknown is absent (404). */
      convergence?: Convergence;
      /**
       * This node's answer to a request without a valid token (a browser's page load gets sent for a fresh app
       * cookie); default the JSON 401. Only for this node's own refusals, never for a host's or an app's 401.
       */
      unauthorized?: (req: Request, route: WorkspaceRoute, websocket: boolean) => Response;
    },
  ) {
    o.metrics.describe('warren_mesh_forwards_total', 'Requests forwarded to the hosting node, by outcome');
    this.hop = new PeerHop({
      config: o.config,
      reportUnreachable: (id) => o.routes.reportUnreachable?.(id),
      count: (outcome) => this.count(outcome),
    });
  }

  close(): void {
    this.hop.close();
  }

  /** Answers a request for `route.workspaceId`, which is not hosted here. */
  async handle(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    websocket: boolean,
  ): Promise<Response | undefined> {
    const exchange = route.path === '/_auth';
    const token = exchange
      ? (new URLSearchParams(route.search).get('token') ?? undefined)
      : findProof(req.headers, route.search, websocket)?.token;
    // The cookie exchange carries a token fresh from the control plane: refusing it never sends the browser back.
    const denied = () =>
      exchange || !this.o.unauthorized ? unauthorized() : this.o.unauthorized(req, route, websocket);
    if (!token) return this.refuse(denied(), 'no_token');
    let t: VerifiedToken;
    try {
      t = await this.o.verifier.verify(token);
    } catch (e) {
      return this.refuse(denied(), e instanceof TokenError ? e.code : 'error');
    }
    // The owner is checked by the hosting node, which knows it; everything else is checked here too.
    const scope = scopeOf(route.path);
    const access = this.o.verifier.authorize(t, route.workspaceId, undefined, scope);
    if (!access.ok) {
      const res = access.status === 401 ? denied() : access.status === 403 ? forbidden() : notFound();
      return this.refuse(res, access.reason);
    }
    if (req.headers.has(HOP_HEADER)) return this.misdirected(route.workspaceId);
    let r = this.o.routes.route(route.workspaceId);
    for (let attempt = 0; ; attempt++) {
      const refusal = this.unroutable(r, t);
      if (refusal) return refusal;
      const target = r as Extract<Route, { found: true }>;
      const res = websocket ? await this.bridge(req, server, target, t) : await this.forward(req, target);
      if (res?.status !== 421 || attempt > 0) {
        this.count(res?.status === 421 ? 'misdirected' : 'forwarded');
        return res;
      }
      // Stale entry: the host says it does not run the workspace. Retry once with the updated route — giving our
      // registry a moment to learn the move when the host names another node.
      const hint = await hintFrom(res);
      let next = this.o.routes.route(route.workspaceId);
      const deadline = Date.now() + (hint && hint !== this.o.routes.selfId ? STALE_WAIT_MS : 0);
      while (next.found && next.nodeId === target.nodeId && Date.now() < deadline) {
        await Bun.sleep(50);
        next = this.o.routes.route(route.workspaceId);
      }
      if (next.found && next.nodeId === target.nodeId) return this.retryLater('the workspace is moving', 1);
      r = next;
    }
  }

  /** A refusal when the route cannot be used: unknown workspace, ourselves, or a host that is not alive. */
  private unroutable(r: Route, token: VerifiedToken): Response | undefined {
    if (!r.found || r.nodeId === this.o.routes.selfId) {
      const u = unknownWorkspace(this.o.convergence, token.iat, Date.now());
      if (u.answer === 'absent') return this.refuse(notFound(), 'not_here');
      this.count('learning');
      return unavailable('this node is still learning about this workspace from the mesh', u.retryAfterSec);
    }
    if (!r.available) {
      this.count('host_down');
      return unavailable(`the node hosting this workspace is ${r.host.state}`, r.retryAfterSeconds);
    }
    if (!r.host.proxyUrl) return this.retryLater('the hosting node is not reachable yet', 1);
    return undefined;
  }

  /** 421: this node was asked as the host but does not run the workspace; says which node it thinks does. */
  private misdirected(workspaceId: string): Response {
    const r = this.o.routes.route(workspaceId);
    const detail =
      r.found && r.nodeId !== this.o.routes.selfId
        ? { nodeId: r.nodeId, state: r.host.state }
        : { nodeId: null };
    this.count('misdirected_here');
    return wireError('misdirected', 'this node does not host the workspace', { detail });
  }

  private async forward(req: Request, r: Extract<Route, { found: true }>): Promise<Response> {
    const headers: [string, string][] = [];
    for (const [name, value] of req.headers) if (!NOT_FOR_PEERS.has(name)) headers.push([name, value]);
    headers.push([HOP_HEADER, this.o.routes.selfId]);
    const abort = new AbortController();
    const stop = this.watch(r.nodeId, abort);
    const client = req.signal;
    const left = () => abort.abort();
    client?.addEventListener('abort', left);
    try {
      const peer = { nodeId: r.nodeId, proxyUrl: r.host.proxyUrl as string };
      const target = pathAndQuery(req.url);
      const res = await this.hop.send(
        { method: req.method, target, headers, body: req.body },
        peer,
        abort.signal,
      );
      // The host's own answers — 5xx included — pass through unchanged.
      if (res.kind === 'response') return res.response;
      return this.notForwarded(res, r);
    } finally {
      stop();
      client?.removeEventListener('abort', left);
    }
  }

  /** 503 with Retry-After for a forward that was refused here or got no answer. */
  private notForwarded(
    res: Exclude<HopResult, { kind: 'response' }>,
    r: Extract<Route, { found: true }>,
  ): Response {
    if (res.kind === 'failed') return this.hostUnreachable(r);
    const message =
      res.why === 'open'
        ? 'the node hosting this workspace did not answer recently'
        : 'the node hosting this workspace has too many requests waiting';
    return unavailable(message, res.retryAfterSec);
  }

  /** Opens the hosting node's WebSocket, then upgrades the client (as the local bridge does). */
  private async bridge(
    req: Request,
    server: Server<SocketData>,
    r: Extract<Route, { found: true }>,
    token: VerifiedToken,
  ): Promise<Response | undefined> {
    const headers: Record<string, string> = {};
    for (const [name, value] of req.headers) {
      if (!NOT_FOR_PEERS.has(name) && !WEBSOCKET_HANDSHAKE.has(name)) headers[name] = value;
    }
    headers[HOP_HEADER] = this.o.routes.selfId;
    // The same breaker and cap as plain forwards while the socket opens.
    const peer = { nodeId: r.nodeId, proxyUrl: r.host.proxyUrl as string };
    const ticket = this.hop.admit(peer);
    if ('kind' in ticket) {
      this.count(`refused_${ticket.why}`);
      return this.notForwarded(ticket, r);
    }
    const url = (r.host.proxyUrl as string).replace(/^http/, 'ws') + pathAndQuery(req.url);
    // The hosting node ends the socket when the token lapses; this node does too, should it learn first. The host
    // opens the app's socket before it answers: as long as a plain forward's first byte may take.
    const data = await openBridge(url, req, headers, token, this.o.config.firstByteTimeoutMs);
    // Opened: the host answered. Not opened: the HTTP retry below finds out why and counts a failure if any.
    ticket.settle(data ? 'answered' : 'abandoned');
    if (!data) {
      const now = this.o.routes.route(r.workspace.workspaceId);
      // The host refused the upgrade with an HTTP answer (401, 421…): ask it over HTTP to relay its answer.
      if (now.found && now.available) return this.forward(stripUpgrade(req), r);
      return this.hostUnreachable(r);
    }
    return upgradeToBridge(req, server, data);
  }

  /** Aborts `abort` when the host turns suspect or dead before it answered; returns the stop function. */
  private watch(nodeId: string, abort: AbortController): () => void {
    const timer = setInterval(() => {
      const s = this.o.routes.state(nodeId);
      if (s !== 'alive') abort.abort();
    }, WATCH_MS);
    return () => clearInterval(timer);
  }

  /** The host did not answer: 503 with the membership's estimate of when to retry. */
  private hostUnreachable(r: Extract<Route, { found: true }>): Response {
    this.count('host_unreachable');
    const now = this.o.routes.route(r.workspace.workspaceId);
    const retry = now.found && !now.available ? now.retryAfterSeconds : 1;
    const state = now.found ? now.host.state : 'unknown';
    return unavailable(`the node hosting this workspace does not answer (${state})`, retry);
  }

  private retryLater(message: string, seconds: number): Response {
    this.count('retry_later');
    return unavailable(message, seconds);
  }

  private refuse(res: Response, reason: string): Response {
    this.o.verifier.countRefusal(reason);
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="refused"}`);
    return res;
  }

  private count(outcome: string): void {
    this.o.metrics.inc(`warren_mesh_forwards_total{outcome="${outcome}"}`);
  }
}

function pathAndQuery(url: string): string {
  const i = url.indexOf('/', url.indexOf('://') + 3);
  return i < 0 ? '/' : url.slice(i);
}

async function hintFrom(res: Response): Promise<string | undefined> {
  try {
    const body = (await res.json()) as { error?: { detail?: { nodeId?: unknown } } };
    const id = body.error?.detail?.nodeId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function stripUpgrade(req: Request): Request {
  const headers = new Headers(req.headers);
  for (const h of ['upgrade', 'connection', ...WEBSOCKET_HANDSHAKE]) headers.delete(h);
  return new Request(req.url, { method: 'GET', headers });
}
