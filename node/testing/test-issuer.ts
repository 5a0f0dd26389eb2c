// A stand-in control plane for node tests, speaking the contract's wire shapes: JWKS, join, heartbeat, push, git tokens.
// It signs real EdDSA tokens with jose; only what the node calls is served. The real one lives in control/.
import { decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as v from 'valibot';
import {
  AUDIENCE,
  errorResponse,
  Heartbeat,
  type HeartbeatAck,
  type Jwks,
  type NodeJoined,
  NodeJoinRequest,
  newId,
  type PublicJwk,
  type Revocation,
  TOKEN_TYP,
  type WorkspaceAssignment,
  type WorkspaceReport,
  type WorkspaceScope,
} from '../../contract/index.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: PublicJwk;
}

/** Claims a test can bend to build every row of the token truth table. */
export interface MintOptions {
  workspaceId: string;
  userId: string;
  scopes?: WorkspaceScope[];
  /** Lifetime in seconds from `iat` (default 600). */
  ttlSec?: number;
  /** Unix seconds; default now. */
  iat?: number;
  nbf?: number;
  aud?: string;
  iss?: string;
  typ?: string;
  /** `unknown`: signed by a key the JWKS never published; `none`: unsigned (`alg: none`). */
  signer?: 'current' | 'unknown' | 'none';
}

export interface TestIssuer {
  /** The control URL (also the `iss`). */
  readonly url: string;
  readonly issuer: string;
  /** A fresh join token (each works once). */
  joinToken(): string;
  mint(o: MintOptions): Promise<string>;
  commandToken(nodeId: string, o?: { aud?: string; signer?: 'current' | 'unknown' }): Promise<string>;
  /** Records an assignment for `nodeId` (returned in heartbeat acks) and, when `nodeUrl` is given, pushes it. */
  place(nodeId: string, spec: WorkspaceAssignment, nodeUrl?: string): Promise<WorkspaceReport | undefined>;
  revoke(subject: string, notBefore: number): void;
  /** Publishes a new signing key next to the old ones and signs with it from now on. */
  rotate(): Promise<void>;
  /** The last workspace reports each node sent, by node id. */
  reports(nodeId: string): WorkspaceReport[];
  readonly stats: {
    heartbeats: number;
    jwksFetches: number;
    joins: number;
    renewals: number;
    /** Git tokens minted by `POST /api/v1/workspaces/{id}/git-token` (`ghs_<workspace>_<n>`). */
    gitTokens: number;
  };
  /** Every accepted join request and the last heartbeat body, as the node sent them. */
  readonly joinRequests: NodeJoinRequest[];
  lastHeartbeat: Heartbeat | undefined;
  /** Lifetime of node certificates it issues, in seconds. */
  certificateTtlSec: number;
  stop(): Promise<void>;
}

/** Starts a test issuer on a loopback port. `port` lets a test restart it at the same address. */
export async function startTestIssuer(
  o: { port?: number; heartbeatIntervalMs?: number } = {},
): Promise<TestIssuer> {
  const keys: SigningKey[] = [await newKey()];
  const unknownKey = await newKey();
  const joinTokens = new Set<string>();
  const nodes = new Map<
    string,
    { assignments: Map<string, WorkspaceAssignment>; reports: WorkspaceReport[] }
  >();
  const revocations: Revocation[] = [];
  const stats = { heartbeats: 0, jwksFetches: 0, joins: 0, renewals: 0, gitTokens: 0 };
  const heartbeatIntervalMs = o.heartbeatIntervalMs ?? 1_000;
  let issuer = '';
  const jwks = (): Jwks => ({ keys: keys.map((k) => k.jwk) });
  const current = () => keys[keys.length - 1]!;

  const self: TestIssuer = {
    url: '',
    issuer: '',
    certificateTtlSec: 3600,
    stats,
    joinRequests: [],
    lastHeartbeat: undefined,
    joinToken() {
      const t = `wrn_join_${crypto.randomUUID().replaceAll('-', '')}`;
      joinTokens.add(t);
      return t;
    },
    async mint(m) {
      const now = Math.floor(Date.now() / 1000);
      const iat = m.iat ?? now;
      const payload: Record<string, unknown> = {
        iss: m.iss ?? issuer,
        sub: m.userId,
        aud: m.aud ?? AUDIENCE.workspace(m.workspaceId),
        scope: (m.scopes ?? ['http']).join(' '),
        iat,
        exp: iat + (m.ttlSec ?? 600),
        jti: crypto.randomUUID(),
      };
      if (m.nbf !== undefined) payload.nbf = m.nbf;
      const typ = m.typ ?? TOKEN_TYP.workspaceAccess;
      if (m.signer === 'none') {
        const enc = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
        return `${enc({ alg: 'none', typ, kid: current().kid })}.${enc(payload)}.`;
      }
      const key = m.signer === 'unknown' ? unknownKey : current();
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', typ, kid: key.kid })
        .sign(key.privateKey);
    },
    async commandToken(nodeId, c = {}) {
      const key = c.signer === 'unknown' ? unknownKey : current();
      return new SignJWT({ sub: 'control', aud: c.aud ?? AUDIENCE.node(nodeId), jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYP.controlCommand, kid: key.kid })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(key.privateKey);
    },
    async place(nodeId, spec, nodeUrl) {
      const n = nodes.get(nodeId);
      if (!n) throw new Error(`unknown node ${nodeId}`);
      n.assignments.set(spec.id, spec);
      if (!nodeUrl) return undefined;
      const res = await fetch(`${nodeUrl}/_node/workspaces/${spec.id}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${await self.commandToken(nodeId)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(spec),
        keepalive: false,
      });
      if (!res.ok) throw new Error(`push failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as WorkspaceReport;
    },
    revoke(subject, notBefore) {
      revocations.push({ subject, notBefore });
    },
    async rotate() {
      keys.push(await newKey());
    },
    reports(nodeId) {
      return nodes.get(nodeId)?.reports ?? [];
    },
    async stop() {
      await server.stop(true);
    },
  };

  async function certificate(nodeId: string, req: { name: string; address: string; publicKey: unknown }) {
    const key = current();
    const jwt = await new SignJWT({
      sub: nodeId,
      aud: [AUDIENCE.mesh, AUDIENCE.control],
      cnf: { jwk: req.publicKey },
      addr: req.address,
      name: req.name,
      jti: crypto.randomUUID(),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYP.nodeCertificate, kid: key.kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(`${self.certificateTtlSec}s`)
      .sign(key.privateKey);
    return { jwt, expiresAt: new Date(decodeJwt(jwt).exp! * 1000).toISOString() };
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: o.port ?? 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
        stats.jwksFetches++;
        return Response.json(jwks());
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/nodes/join') {
        const r = v.safeParse(NodeJoinRequest, await req.json().catch(() => null));
        if (!r.success) return errorResponse('invalid_request', r.issues[0]!.message);
        if (!joinTokens.delete(r.output.joinToken)) {
          return errorResponse('unauthorized', 'join token unknown or used');
        }
        stats.joins++;
        self.joinRequests.push(r.output);
        const nodeId = newId('node');
        nodes.set(nodeId, { assignments: new Map(), reports: [] });
        const cert = await certificate(nodeId, r.output);
        const body: NodeJoined = {
          nodeId,
          issuer,
          certificate: cert.jwt,
          expiresAt: cert.expiresAt,
          heartbeatIntervalMs,
          jwks: jwks(),
        };
        return Response.json(body, { status: 201 });
      }
      const hb = /^\/api\/v1\/nodes\/([^/]+)\/heartbeat$/.exec(url.pathname);
      if (req.method === 'POST' && hb) {
        const nodeId = hb[1]!;
        const n = nodes.get(nodeId);
        const auth = req.headers.get('authorization') ?? '';
        const ok = n && (await verifyCertificate(auth.replace(/^Bearer /, ''), nodeId).catch(() => false));
        if (!n || !ok) return errorResponse('unauthorized', 'bad node certificate');
        const r = v.safeParse(Heartbeat, await req.json().catch(() => null));
        if (!r.success) return errorResponse('invalid_request', r.issues[0]!.message);
        stats.heartbeats++;
        self.lastHeartbeat = r.output;
        n.reports = r.output.workspaces;
        const ack: HeartbeatAck = {
          workspaces: [...n.assignments.values()],
          revocations: [...revocations],
          jwks: jwks(),
          heartbeatIntervalMs,
        };
        if (r.output.renew) {
          stats.renewals++;
          const cert = await certificate(nodeId, {
            name: 'renewed',
            address: r.output.address ?? '',
            publicKey: {},
          });
          ack.certificate = cert.jwt;
          ack.certificateExpiresAt = cert.expiresAt;
        }
        return Response.json(ack);
      }
      const gt = /^\/api\/v1\/workspaces\/([^/]+)\/git-token$/.exec(url.pathname);
      if (req.method === 'POST' && gt) {
        // Like the real one: only the node that hosts the (running) workspace gets a token.
        const workspaceId = gt[1]!;
        const auth = (req.headers.get('authorization') ?? '').replace(/^Bearer /, '');
        const host = [...nodes].find(([, n]) => n.assignments.get(workspaceId)?.desiredState === 'running');
        const ok = host && (await verifyCertificate(auth, host[0]).catch(() => false));
        if (!host || !ok) return errorResponse('not_found', 'workspace not found on this node');
        const token = `ghs_${workspaceId}_${++stats.gitTokens}`;
        return Response.json({
          token,
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          repositoryIds: [1],
        });
      }
      return errorResponse('not_found', 'no such route');
    },
  });

  async function verifyCertificate(token: string, nodeId: string): Promise<boolean> {
    for (const k of keys) {
      try {
        const { payload } = await jwtVerify(token, await importPublic(k), {
          issuer,
          typ: TOKEN_TYP.nodeCertificate,
          algorithms: ['EdDSA'],
        });
        return payload.sub === nodeId;
      } catch {}
    }
    return false;
  }

  issuer = `http://127.0.0.1:${server.port}`;
  (self as { url: string }).url = issuer;
  (self as { issuer: string }).issuer = issuer;
  return self;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const x = (await exportJWK(publicKey)).x!;
  const kid = newId('key');
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

async function importPublic(k: SigningKey): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: k.jwk.x },
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
}
