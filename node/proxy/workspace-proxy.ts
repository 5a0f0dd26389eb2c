// The hot path: routes a request to a workspace, checks its proof locally, and forwards HTTP or WebSocket traffic.
import type { Server } from 'bun';
import { appOpenPath, appReturnPath, type TranscriptSearchResult } from '../../contract/index.ts';
import { TokenError, type TokenVerifier, type VerifiedToken } from '../auth/index.ts';
import type { Metrics } from '../metrics.ts';
import {
  isTerminalSessionId,
  type Runtime,
  type TerminalSessions,
  type WorkspaceTarget,
} from '../workspaces/index.ts';
import { foreignCookieSocket, type OriginPolicy } from './app-origin.ts';
import { appPageLoad, asAppPage } from './app-pages.ts';
import type { Convergence } from './convergence.ts';
import { findProof, TOKEN_COOKIE, withoutTokenParam, withoutWarrenSetCookies } from './credentials.ts';
import { defaultForwardConfig, type ForwardConfig } from './forward-config.ts';
import { type ForwardInfo, forwardHead, forwardHeaders } from './forward-headers.ts';
import { badTail, logTail, tailParam } from './logs-endpoint.ts';
import { MeshForwarder, type MeshRoutes } from './mesh-forward.ts';
import type { PeerHop } from './peer-hop.ts';
import {
  errorResponse,
  forbidden,
  foreignOrigin,
  notFound,
  pathCookieOff,
  unauthorized,
  unavailable,
} from './responses.ts';
import { forwardedPort, isWorkspaceId, routeRequest, scopeOf, type WorkspaceRoute } from './route.ts';
import type { SocketData } from './socket-data.ts';
import { UpstreamPool } from './upstream-pool.ts';
import { openBridge, upgradeToBridge } from './websocket-bridge.ts';

export interface WorkspaceProxyOptions {
  verifier: TokenVerifier;
  runtime: Runtime;
  baseDomain: string;
  metrics: Metrics;
  /** How long to wait for a workspace app's WebSocket to open. */
  upstreamConnectTimeoutMs?: number;
  /** The registry view: requests for workspaces hosted elsewhere are forwarded to their node. */
  mesh?: MeshRoutes;
  /** With `mesh`: a valid token for a workspace the registry does not hold gets 503 while this says so. */
  convergence?: Convergence;
  /** Deadlines and limits of those forwards; default defaultForwardConfig(). */
  forward?: ForwardConfig;
  /** The client's address (the raw front tunnels connections, so the socket peer may be the node itself). */
  clientAddress?: (req: Request, server: Server<SocketData>) => string;
  /** Searches the workspace's agent transcript (`GET /_agent/search?q=`, `agent` scope); absent: 404. */
  agentSearch?(workspaceId: string, q: string): Promise<TranscriptSearchResult>;
  /** `--allow-path-apps`: `/w/{id}/_auth` sets a cookie; otherwise path mode takes bearer tokens only. */
  allowPathApps?: boolean;
  /** The control plane's UI origin, whose pages may open cookie WebSockets too. */
  controlOrigin?: string;
  /** The node's terminal sessions (`/_terminal`, `/_terminal/sessions`); absent: 404 (an ingress-only proxy). */
  terminals?: TerminalSessions;
}

/** Returned by `handle` when the request is not for a workspace (the node API takes it). */
export const NOT_A_WORKSPACE = null;

type Result = Response | undefined | Promise<Response | undefined>;

/** The workspace proxy: `handle` answers workspace requests and returns NOT_A_WORKSPACE for others. */
export class WorkspaceProxy {
  private readonly connectTimeoutMs: number;
  private readonly pool = new UpstreamPool();
  private readonly remote: MeshForwarder | undefined;

  private readonly clientAddress: (req: Request, server: Server<SocketData>) => string;
  private readonly origins: OriginPolicy;

  constructor(private readonly o: WorkspaceProxyOptions) {
    this.connectTimeoutMs = o.upstreamConnectTimeoutMs ?? 10_000;
    this.remote =
      o.mesh &&
      new MeshForwarder({
        verifier: o.verifier,
        routes: o.mesh,
        metrics: o.metrics,
        config: o.forward ?? defaultForwardConfig(),
        convergence: o.convergence,
        unauthorized: (req, route, websocket) => this.unauthorizedFor(req, route, websocket),
      });
    this.clientAddress = o.clientAddress ?? ((req, server) => server.requestIP(req)?.address ?? '');
    this.origins = { controlOrigin: o.controlOrigin, allowPathApps: o.allowPathApps ?? false };
    o.metrics.describe('warren_proxy_requests_total', 'Workspace requests by outcome');
  }

  /** The hop to hosting nodes (breaker and in-flight cap per host), shared with the raw front's forwards. */
  get hop(): PeerHop | undefined {
    return this.remote?.hop;
  }

  handle(req: Request, server: Server<SocketData>): Result | typeof NOT_A_WORKSPACE {
    const route = routeRequest(req.url, req.headers.get('host'), this.o.baseDomain);
    if (route === undefined) return NOT_A_WORKSPACE;
    const upgrade = req.headers.get('upgrade');
    const websocket = upgrade !== null && upgrade.toLowerCase() === 'websocket';
    const result = this.dispatch(req, server, route, websocket);
    if (!appPageLoad(req, route, websocket)) return result;
    // A browser loading a page of the app gets this node's refusals as pages; the app's answers pass as they are.
    const control = this.origins.controlOrigin;
    return result instanceof Promise
      ? result.then((r) => r && asAppPage(r, route, control))
      : result && asAppPage(result, route, control);
  }

  private dispatch(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    websocket: boolean,
  ): Result {
    if (!isWorkspaceId(route.workspaceId)) return this.refuse(notFound(), 'bad_id');
    if (websocket && foreignCookieSocket(req.headers, route, this.origins))
      return this.refuse(foreignOrigin(), 'foreign_origin');
    // Not hosted here: the registry names the node that hosts it (one Map lookup for the local case).
    if (this.remote && this.o.runtime.get(route.workspaceId) === undefined)
      return this.remote.handle(req, server, route, websocket);
    if (route.path === '/_auth') return this.exchange(req, route);
    const proof = findProof(req.headers, route.search, websocket);
    if (proof === undefined) return this.refuse(this.unauthorizedFor(req, route, websocket), 'no_token');
    const cached = this.o.verifier.lookup(proof.token);
    if (cached !== undefined) return this.authorized(req, server, route, cached, websocket);
    return this.o.verifier.verify(proof.token).then(
      (t) => this.authorized(req, server, route, t, websocket),
      (e) =>
        this.refuse(this.unauthorizedFor(req, route, websocket), e instanceof TokenError ? e.code : 'error'),
    );
  }

  private authorized(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
    websocket: boolean,
  ): Result {
    const id = route.workspaceId;
    const target = this.o.runtime.get(id);
    const terminal = route.path === '/_terminal' || route.path.startsWith('/_terminal/');
    const agentSearch = route.path === '/_agent/search';
    const agent = route.path === '/_agent' || agentSearch;
    const scope = scopeOf(route.path);
    const access = this.o.verifier.authorize(token, id, target?.ownerId, scope);
    if (!access.ok) {
      const res =
        access.status === 401
          ? this.unauthorizedFor(req, route, websocket)
          : access.status === 403
            ? forbidden()
            : notFound();
      return this.refuse(res, access.reason);
    }
    if (target === undefined) return this.refuse(notFound(), 'not_here');
    // What the workspace printed can be read whatever its state: that is how one learns why it stopped.
    if (scope === 'logs') return this.logs(req, server, route, token);
    // A workspace in `error` keeps a terminal, to look into why.
    if (target.status !== 'running' && !(terminal && target.status === 'error')) {
      const starting = target.status === 'starting' || target.status === 'pending';
      this.o.metrics.inc(`warren_proxy_requests_total{outcome="unavailable"}`);
      return unavailable(`workspace is ${target.status}`, starting ? 2 : 10);
    }
    if (scope === 'ports') return this.portSocket(req, server, route, token, target, websocket);
    if (terminal) return this.terminal(req, server, route, token, target, websocket);
    if (agentSearch) return this.searchTranscript(req, route);
    if (agent) return this.agentSocket(req, server, route, token);
    if (target.port === undefined) return unavailable('workspace has no app', 10);
    if (websocket) return this.bridge(req, server, route, token, target);
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="proxied"}`);
    const info = this.forwardInfo(req, server, route, token);
    if (req.body === null) {
      // Body-less requests (the common case) go over the pooled raw connections.
      const head = forwardHead(req.method, route.path + route.search, target.port, req.headers, info);
      return this.pool
        .request(target.host, target.port, head, req.method === 'HEAD', appNotAnswering)
        .then(withoutWarrenSetCookies);
    }
    const init = {
      method: req.method,
      headers: forwardHeaders(req.headers, info, false),
      body: req.body,
      redirect: 'manual',
      // Pass the app's bytes through as they are (compressed or not).
      decompress: false,
    } as RequestInit;
    return fetch(`http://${target.host}:${target.port}${route.path}${route.search}`, init).then(
      withoutWarrenSetCookies,
      appNotAnswering,
    );
  }

  /**
   * `/_terminal` (WebSocket; `?session=` reattaches, `?cols=&rows=` is the window), `GET /_terminal/sessions`
   * and `DELETE /_terminal/sessions/{id}`: the token's user's sessions of this workspace only.
   */
  private terminal(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
    target: WorkspaceTarget,
    websocket: boolean,
  ): Response | undefined {
    const terminals = this.o.terminals;
    if (!terminals) return notFound();
    if (route.path === '/_terminal/sessions') {
      if (req.method !== 'GET') return errorResponse('method_not_allowed', 'use GET');
      return Response.json({ items: terminals.list(target.id, token.userId) });
    }
    if (route.path.startsWith('/_terminal/sessions/')) {
      const sid = route.path.slice('/_terminal/sessions/'.length);
      if (req.method !== 'DELETE') return errorResponse('method_not_allowed', 'use DELETE');
      if (!isTerminalSessionId(sid)) return errorResponse('invalid_request', 'not a terminal session id');
      if (!terminals.close(target.id, token.userId, sid)) return notFound();
      return new Response(null, { status: 204 });
    }
    if (route.path !== '/_terminal') return notFound();
    if (!websocket) return errorResponse('invalid_request', 'the terminal is a WebSocket endpoint');
    const q = new URLSearchParams(route.search);
    const sessionId = q.get('session') ?? undefined;
    if (sessionId !== undefined && !isTerminalSessionId(sessionId))
      return errorResponse('invalid_request', 'session is not a terminal session id');
    // `?command=`: a one-off session running just that command (`warren ws ssh WS -- cmd`); it cannot be reattached.
    const command = q.get('command') ?? undefined;
    if (command !== undefined && (command.length === 0 || command.length > 4096))
      return errorResponse('invalid_request', 'command is 1 to 4096 characters');
    if (command !== undefined && sessionId !== undefined)
      return errorResponse('invalid_request', 'command starts a new session; it cannot name one');
    const size = (name: string, fallback: number) => {
      const raw = q.get(name);
      const n = raw === null ? fallback : Number(raw);
      return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined;
    };
    const cols = size('cols', 80);
    const rows = size('rows', 24);
    if (cols === undefined || rows === undefined)
      return errorResponse('invalid_request', 'cols and rows are whole numbers from 1 to 1000');
    const data: SocketData = {
      kind: 'terminal',
      token,
      target,
      cols,
      rows,
      sessionId,
      command,
      session: undefined,
      client: undefined,
      detach: undefined,
    };
    return this.upgrade(req, server, data, 'terminal');
  }

  /** Upgrades to one of the node's own sockets, counted by `outcome`. */
  private upgrade(
    req: Request,
    server: Server<SocketData>,
    data: SocketData,
    outcome: string,
  ): Response | undefined {
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="${outcome}"}`);
    if (server.upgrade(req, { data })) return undefined;
    return errorResponse('invalid_request', 'WebSocket upgrade failed');
  }

  /** `/_agent`: upgrades to the agent session's socket (`agent` scope checked above); `?afterSeq=` resumes. */
  private agentSocket(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
  ): Response | undefined {
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return errorResponse('invalid_request', 'the agent is a WebSocket endpoint');
    const raw = new URLSearchParams(route.search).get('afterSeq');
    const afterSeq = raw === null ? undefined : Number(raw);
    if (afterSeq !== undefined && !(Number.isSafeInteger(afterSeq) && afterSeq >= 0))
      return errorResponse('invalid_request', 'afterSeq must be a whole number');
    const data: SocketData = {
      kind: 'agent',
      token,
      workspaceId: route.workspaceId,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      detach: undefined,
    };
    return this.upgrade(req, server, data, 'agent');
  }

  /** `/_logs`: `GET ?tail=N` answers the last lines; a WebSocket sends them and then follows. */
  private logs(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
  ): Response | undefined {
    const tail = tailParam(route.search);
    if (tail === undefined) return badTail();
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return logTail(this.o.runtime, req, route.workspaceId, tail);
    const data: SocketData = {
      kind: 'logs',
      token,
      workspaceId: route.workspaceId,
      tail,
      unfollow: undefined,
      detach: undefined,
    };
    return this.upgrade(req, server, data, 'logs');
  }

  /**
   * `/_port/{port}`: a WebSocket tunnelled to a TCP port of the workspace. The port must be in the token's
   * `ports` claim, or be the workspace's app port when the token has none: a token minted to reach one port
   * must not open another (a database, sshd) of the same workspace.
   */
  private portSocket(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
    target: WorkspaceTarget,
    websocket: boolean,
  ): Response | undefined {
    const port = forwardedPort(route.path);
    if (!port) return errorResponse('invalid_request', 'the port is a whole number from 1 to 65535');
    const allowed = token.ports ?? (target.port === undefined ? [] : [target.port]);
    if (!allowed.includes(port))
      return this.refuse(
        errorResponse('forbidden', `the token does not allow port ${port}; ask for a token with it in ports`),
        'port_not_allowed',
      );
    if (!websocket) return errorResponse('invalid_request', 'a port tunnel is a WebSocket endpoint');
    const data: SocketData = {
      kind: 'port',
      token,
      target,
      port,
      upstream: undefined,
      connected: false,
      pending: [],
      detach: undefined,
    };
    return this.upgrade(req, server, data, 'port');
  }

  /** `/_agent/search?q=`: the workspace's transcript turns matching every word (quoted terms only). */
  private async searchTranscript(req: Request, route: WorkspaceRoute): Promise<Response> {
    if (req.method !== 'GET') return errorResponse('method_not_allowed', 'use GET');
    const q = new URLSearchParams(route.search).get('q') ?? '';
    if (q.length > 500) return errorResponse('invalid_request', 'q is at most 500 characters');
    if (!this.o.agentSearch) return notFound();
    return Response.json(await this.o.agentSearch(route.workspaceId, q));
  }

  /** Closes pooled upstream connections. */
  close(): void {
    this.pool.close();
    this.remote?.close();
  }

  /** `/_auth?token=…`: checks the token, sets it as an HttpOnly cookie scoped to the workspace, redirects without it. */
  private async exchange(req: Request, route: WorkspaceRoute): Promise<Response> {
    if (route.prefix !== '' && !this.origins.allowPathApps)
      return this.refuse(pathCookieOff(), 'path_cookie');
    const token = new URLSearchParams(route.search).get('token');
    if (!token) return this.refuse(unauthorized(), 'no_token');
    let t: VerifiedToken;
    try {
      t = await this.o.verifier.verify(token);
    } catch (e) {
      return this.refuse(unauthorized(), e instanceof TokenError ? e.code : 'error');
    }
    const target = this.o.runtime.get(route.workspaceId);
    const access = this.o.verifier.authorize(t, route.workspaceId, target?.ownerId, 'http');
    if (!access.ok) {
      const res = access.status === 401 ? unauthorized() : access.status === 403 ? forbidden() : notFound();
      return this.refuse(res, access.reason);
    }
    if (target === undefined) return this.refuse(notFound(), 'not_here');
    const path = `${route.prefix}/`;
    // On the app's own origin the browser goes back to the page it asked for (a path there, nothing else).
    const back = route.prefix === '' ? appReturnPath(new URLSearchParams(route.search).get('return')) : path;
    const maxAge = Math.max(0, Math.floor((t.expMs - Date.now()) / 1000));
    const secure = req.url.startsWith('https:') ? '; Secure' : '';
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="cookie_exchange"}`);
    return new Response(null, {
      status: 303,
      headers: {
        location: back,
        'set-cookie': `${TOKEN_COOKIE}=${token}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      },
    });
  }

  /** What the app is told about the request: the client's address, the real Host, the prefix and the user. */
  private forwardInfo(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
  ): ForwardInfo {
    return {
      clientIp: this.clientAddress(req, server),
      host: req.headers.get('host') ?? '',
      proto: 'http',
      prefix: route.prefix,
      userId: token.userId,
    };
  }

  /** Opens the app's WebSocket first, then upgrades the client with the subprotocol the app chose. */
  private async bridge(
    req: Request,
    server: Server<SocketData>,
    route: WorkspaceRoute,
    token: VerifiedToken,
    target: WorkspaceTarget,
  ): Promise<Response | undefined> {
    const headers = forwardHeaders(req.headers, this.forwardInfo(req, server, route, token), true);
    const url = `ws://${target.host}:${target.port}${route.path}${withoutTokenParam(route.search)}`;
    const data = await openBridge(url, req, headers, token, this.connectTimeoutMs);
    if (!data) return unavailable('workspace app did not accept the WebSocket', 2);
    const upstream = data.upstream;
    data.detach = this.o.runtime.attach(target.id, () => {
      upstream.close(1001, 'workspace stopped');
      data.client?.close(1001, 'workspace stopped');
    });
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="websocket"}`);
    return upgradeToBridge(req, server, data);
  }

  /**
   * The answer to a request without a valid token: the JSON 401 for API clients and everything but a page load;
   * for a browser loading a page of an app on its own origin (its cookie expired or was never set), a redirect
   * to the control plane's app link, which mints a fresh token for the signed-in user and sends the browser to
   * this app's `/_auth`, then back to the page it asked for. The target is the control origin this node was
   * configured with, never anything from the request, so no request can make the node redirect elsewhere.
   */
  private unauthorizedFor(req: Request, route: WorkspaceRoute, websocket: boolean): Response {
    const control = this.origins.controlOrigin;
    if (control === undefined || !appPageLoad(req, route, websocket)) return unauthorized();
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="fresh_cookie_redirect"}`);
    return new Response(null, {
      status: 303,
      headers: {
        location: `${control}${appOpenPath(route.workspaceId, route.path + route.search)}`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      },
    });
  }

  private refuse(res: Response, reason: string): Response {
    this.o.verifier.countRefusal(reason);
    this.o.metrics.inc(`warren_proxy_requests_total{outcome="refused"}`);
    return res;
  }
}

/** The app is here but refuses connections (crashed, restarting): 503, never a 502. */
function appNotAnswering(): Response {
  return unavailable('workspace app is not answering', 2);
}
