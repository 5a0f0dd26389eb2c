// Open sockets end with their token: a terminal, an app WebSocket or an agent socket whose token is revoked or
// expires is closed with SOCKET_CLOSE_TOKEN_ENDED within 2 s, and what it drove ends with it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { newId, SOCKET_CLOSE_TOKEN_ENDED, type WorkspaceScope } from '../../contract/index.ts';
import {
  eventually,
  FIXTURE_AGENT,
  type ProxyFixture,
  screenLines,
  startProxyFixture,
} from '../testing/index.ts';

/** The promise this file checks: from the revocation (or the token's lapse) to the close. */
const DEADLINE_MS = 2_000;
/** localNodeConfig's clock tolerance: a token is good until `exp` + this. */
const TOLERANCE_S = 5;

const now = () => Math.floor(Date.now() / 1000);

interface Closed {
  code: number;
  reason: string;
  at: number;
}

/**
 * Opens a WebSocket and collects what arrives; `closed()` waits for the close (code, reason, time), failing
 * well after the deadline rather than at the test's timeout.
 */
async function connect(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let text = '';
  let closed: Closed | undefined;
  ws.onmessage = (e) => {
    text += typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
  };
  ws.onclose = (e) => {
    closed = { code: e.code, reason: e.reason, at: Date.now() };
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`socket refused: ${url}`));
  });
  return {
    ws,
    output: () => text,
    closed: () =>
      eventually(() => closed, 'the node to close the socket', TOLERANCE_S * 1000 + 3 * DEADLINE_MS),
  };
}

/** Is `pid` alive (and not a zombie)? */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
  return state !== 'Z' && state !== 'X';
}

for (const fastPath of [true, false]) {
  describe(`with the fast path ${fastPath ? 'on' : 'off'}`, () => {
    let f: ProxyFixture;
    beforeAll(async () => {
      f = await startProxyFixture({ fastPath });
    });
    afterAll(() => f.close());

    /** A workspace of its own (revocations stay in the issuer) and a token for it, issued a little earlier. */
    async function workspaceAndToken(scopes: WorkspaceScope[], agentCommand?: string) {
      const userId = newId('user');
      const ws = await f.addWorkspace({ ownerId: userId, ...(agentCommand ? { agentCommand } : {}) });
      const token = await f.issuer.mint({ workspaceId: ws.id, userId, scopes, iat: now() - 5 });
      return { ws, userId, token };
    }

    /** A workspace and a token past its `exp` but within the tolerance: accepted now, lapsing 1–2 s from now. */
    async function expiringToken(scopes: WorkspaceScope[]) {
      const userId = newId('user');
      const ws = await f.addWorkspace({ ownerId: userId });
      const exp = now() - (TOLERANCE_S - 2);
      const token = await f.issuer.mint({ workspaceId: ws.id, userId, scopes, iat: exp - 60, ttlSec: 60 });
      return { ws, userId, token, lapse: (exp + TOLERANCE_S) * 1000 };
    }

    /** Publishes a revocation the way the control plane does (in the heartbeat answer); returns when it was sent. */
    async function revoke(subject: string): Promise<number> {
      const at = Date.now();
      f.issuer.revoke(subject, now());
      await f.node.heartbeatNow();
      return at;
    }

    const wsUrl = (id: string, path: string, token: string) =>
      `${f.node.url.replace('http', 'ws')}/w/${id}${path}?token=${token}`;

    async function websocketFast(): Promise<number> {
      const text = await (await fetch(`${f.node.url}/metrics`, { keepalive: false })).text();
      return Number(/warren_proxy_requests_total\{outcome="websocket_fast"\} (\d+)/.exec(text)?.[1] ?? 0);
    }

    describe('Live sessions', () => {
      it('closes a terminal whose user is revoked within the deadline, and ends its shell and what it runs', async () => {
        const { ws, userId, token } = await workspaceAndToken(['terminal']);
        const t = await connect(wsUrl(ws.id, '/_terminal', token));
        await eventually(() => t.output().length > 0, 'the first prompt');
        t.ws.send('sleep 600 & echo "PIDS $$ $!"\n');
        const line = await eventually(
          () => screenLines(t.output()).find((l) => /^PIDS \d+ \d+$/.test(l)),
          'the shell and child pids',
        );
        const pids = line.trim().split(' ').slice(1).map(Number);
        const sent = await revoke(`user:${userId}`);
        const closed = await t.closed();
        expect(closed.code).toBe(SOCKET_CLOSE_TOKEN_ENDED);
        expect(closed.reason).toBe('token revoked');
        expect(closed.at - sent).toBeLessThan(DEADLINE_MS);
        await eventually(() => pids.every((p) => !alive(p)), 'the shell and its child to end');
      });

      it('closes a terminal when its token expires while it is open, keeping its shell for a fresh token', async () => {
        const { ws, userId, token, lapse } = await expiringToken(['terminal']);
        const t = await connect(wsUrl(ws.id, '/_terminal', token));
        expect(Date.now()).toBeLessThan(lapse);
        const closed = await t.closed();
        expect(closed.code).toBe(SOCKET_CLOSE_TOKEN_ENDED);
        expect(closed.reason).toBe('token expired');
        expect(closed.at).toBeGreaterThanOrEqual(lapse);
        expect(closed.at - lapse).toBeLessThan(DEADLINE_MS);
        // Unlike a revocation, an expiry leaves the session to its grace period: a new token reattaches.
        const id = (JSON.parse(t.output().slice(0, t.output().indexOf('}') + 1)) as { id: string }).id;
        const fresh = await f.issuer.mint({ workspaceId: ws.id, userId, scopes: ['terminal'] });
        const again = await connect(`${wsUrl(ws.id, '/_terminal', fresh)}&session=${id}`);
        await eventually(() => again.output().includes('"created":false'), 'the reattach');
        again.ws.send(JSON.stringify({ type: 'close' }));
        expect((await again.closed()).code).toBe(4000);
      });

      it("closes an app WebSocket when the workspace's tokens are revoked", async () => {
        const { ws, token } = await workspaceAndToken(['http']);
        const before = await websocketFast();
        const s = await connect(wsUrl(ws.id, '/sock', token));
        await eventually(() => s.output().includes('"hello"'), 'the app greeting');
        // The fast path pipes the socket's bytes to the app itself; the full server bridges it.
        expect(await websocketFast()).toBe(fastPath ? before + 1 : before);
        const sent = await revoke(`workspace:${ws.id}`);
        const closed = await s.closed();
        expect(closed.code).toBe(SOCKET_CLOSE_TOKEN_ENDED);
        expect(closed.reason).toBe('token revoked');
        expect(closed.at - sent).toBeLessThan(DEADLINE_MS);
      });

      it('closes an app WebSocket when its token expires, with the app in the middle of talking', async () => {
        const { ws, token, lapse } = await expiringToken(['http']);
        const s = await connect(wsUrl(ws.id, '/sock', token));
        await eventually(() => s.output().includes('"hello"'), 'the app greeting');
        // Echoed messages keep frames flowing from the app while the token lapses.
        const chatter = setInterval(
          () => s.ws.readyState === WebSocket.OPEN && s.ws.send('x'.repeat(70_000)),
          5,
        );
        try {
          const closed = await s.closed();
          expect(closed.code).toBe(SOCKET_CLOSE_TOKEN_ENDED);
          expect(closed.reason).toBe('token expired');
          expect(closed.at - lapse).toBeLessThan(DEADLINE_MS);
        } finally {
          clearInterval(chatter);
        }
      });

      it('closes an agent socket whose user is revoked', async () => {
        const { ws, userId, token } = await workspaceAndToken(
          ['agent'],
          `exec ${process.execPath} ${FIXTURE_AGENT}`,
        );
        const s = await connect(wsUrl(ws.id, '/_agent', token));
        const sent = await revoke(`user:${userId}`);
        const closed = await s.closed();
        expect(closed.code).toBe(SOCKET_CLOSE_TOKEN_ENDED);
        expect(closed.reason).toBe('token revoked');
        expect(closed.at - sent).toBeLessThan(DEADLINE_MS);
      });

      it('leaves sockets of other users and workspaces open', async () => {
        const a = await workspaceAndToken(['terminal']);
        const b = await workspaceAndToken(['http']);
        const ta = await connect(wsUrl(a.ws.id, '/_terminal', a.token));
        const sb = await connect(wsUrl(b.ws.id, '/sock', b.token));
        // Each revocation is swept as it is applied, before heartbeatNow returns.
        await revoke(`user:${newId('user')}`);
        await revoke(`workspace:${newId('workspace')}`);
        const marker = crypto.randomUUID();
        ta.ws.send(`echo ${marker}\n`);
        sb.ws.send(marker);
        await eventually(
          () => ta.output().includes(marker) && sb.output().includes(marker),
          'both to answer',
        );
        ta.ws.close();
        sb.ws.close();
      });
    });
  });
}
