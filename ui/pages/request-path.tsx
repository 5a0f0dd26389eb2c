// The path a request to the workspace takes (browser → ingress node → hosting node, from the mesh registry's
// route) and its measured latency, direct to the hosting node and through another node that forwards over the mesh.
import { useEffect, useState } from 'preact/hooks';
import { api, type MeshMember, must, type Node, type Workspace } from '../api.ts';
import { useMesh } from '../mesh.ts';

/** How many timed requests per path; the fastest counts (the first pays for connection setup). */
const SAMPLES = 3;

/**
 * The fastest of a few `/_auth?token=` exchanges at `base` (an opaque request: only its timing is read). A node
 * that does not host the workspace checks the token and forwards the exchange over the mesh to the host; the host
 * refuses it (path mode sets no cookie unless the node allows path apps) or redirects back to `base`, where a
 * request without a cookie (credentials are omitted) is refused. Either way the round trip is what is measured.
 */
async function timeExchange(base: string, workspaceId: string, token: string): Promise<number> {
  const url = `${base.replace(/\/$/, '')}/w/${workspaceId}/_auth?token=${encodeURIComponent(token)}`;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' });
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

type Timing = number | 'failed' | undefined;

const shown = (t: Timing) =>
  t === undefined ? 'measuring…' : t === 'failed' ? 'no answer' : `${Math.round(t)} ms`;

export function RequestPath({ workspace: w, node }: { workspace: Workspace; node: Node | undefined }) {
  const mesh = useMesh();
  const view = mesh && mesh !== 'failed' && mesh.enabled ? mesh : undefined;
  const route = view?.routes.find((r) => r.workspaceId === w.id);
  const hosting: MeshMember | undefined = route
    ? view?.members.find((m) => m.id === route.nodeId)
    : undefined;
  const ingress = view?.members.find(
    (m) => !m.control && m.state === 'alive' && m.proxyUrl && m.id !== route?.nodeId,
  );
  const hostUrl = hosting?.proxyUrl ?? node?.address;
  const ingressUrl = route ? (ingress?.proxyUrl ?? undefined) : undefined;
  const [direct, setDirect] = useState<Timing>();
  const [via, setVia] = useState<Timing>();
  useEffect(() => {
    if (!hostUrl || w.status !== 'running') return;
    let cancelled = false;
    setDirect(undefined);
    setVia(undefined);
    (async () => {
      const minted = await must(
        api.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id: w.id } },
          body: { scopes: ['http'], ttlSeconds: 60 },
        }),
      );
      const d = await timeExchange(hostUrl, w.id, minted.token).catch(() => 'failed' as const);
      if (cancelled) return;
      setDirect(d);
      if (!ingressUrl) return;
      const f = await timeExchange(ingressUrl, w.id, minted.token).catch(() => 'failed' as const);
      if (!cancelled) setVia(f);
    })().catch(() => !cancelled && setDirect('failed'));
    return () => {
      cancelled = true;
    };
  }, [hostUrl, ingressUrl, w.id, w.status]);
  const hostName = hosting?.name ?? node?.name ?? route?.nodeId;
  return (
    <section class="card" aria-labelledby="path-title">
      <h2 id="path-title">Request path</h2>
      {hostUrl ? (
        <>
          <ol class="path" aria-label="Path through another node">
            <li>
              <span class="hop">This browser</span>
            </li>
            <li>
              <span class="hop" data-hop="ingress">
                <span class="muted small">ingress</span>{' '}
                {ingress && route ? (ingress.name ?? ingress.id) : hostName}
              </span>
            </li>
            <li>
              <span class="hop" data-hop="hosting">
                <span class="muted small">hosting</span> {hostName}
              </span>
            </li>
            <li>
              <span class="hop">{w.name}</span>
            </li>
          </ol>
          {w.status !== 'running' ? (
            <p class="muted small">Latency is measured while the workspace runs.</p>
          ) : (
            <dl class="facts compact">
              <div>
                <dt>Direct to {hostName}</dt>
                <dd data-latency="direct">{shown(direct)}</dd>
              </div>
              {ingress && route ? (
                <div>
                  <dt>Through {ingress.name ?? ingress.id}, forwarded over the mesh</dt>
                  <dd data-latency="mesh">{shown(via)}</dd>
                </div>
              ) : null}
            </dl>
          )}
          <p class="muted small">
            {route
              ? `The mesh registry routes this workspace to ${hostName}${route.available ? '' : ', which is not alive right now'}.`
              : view
                ? 'The mesh registry holds no route for this workspace yet.'
                : 'The control plane has no live mesh view; the hosting node is taken from its node list.'}{' '}
            {ingress || !route
              ? ''
              : 'No other live node to enter through: the browser enters at the hosting node.'}{' '}
            Each figure is the fastest of {SAMPLES} token exchanges (/_auth) timed from this browser.
          </p>
        </>
      ) : (
        <p class="muted">Shown once the workspace is placed on a node.</p>
      )}
    </section>
  );
}
