// The path a request to the workspace takes (browser → ingress node → hosting node) and its measured latency.
import { useEffect, useState } from 'preact/hooks';
import type { Node, Workspace } from '../api.ts';

/** One round trip from this browser to `url` (an opaque request: only its timing is read). */
async function roundTrip(url: string): Promise<number> {
  const t0 = performance.now();
  await fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' });
  return performance.now() - t0;
}

export function RequestPath({ workspace: w, node }: { workspace: Workspace; node: Node | undefined }) {
  const [ms, setMs] = useState<number | 'failed'>();
  const address = node?.address;
  useEffect(() => {
    if (!address) return;
    let cancelled = false;
    roundTrip(`${address.replace(/\/$/, '')}/health`).then(
      (t) => !cancelled && setMs(t),
      () => !cancelled && setMs('failed'),
    );
    return () => {
      cancelled = true;
    };
  }, [address]);
  return (
    <section class="card" aria-labelledby="path-title">
      <h2 id="path-title">Request path</h2>
      {node ? (
        <>
          <ol class="path">
            <li>
              <span class="hop">This browser</span>
            </li>
            <li>
              <span class="hop">
                <span class="muted small">ingress</span> {node.name}
              </span>
            </li>
            <li>
              <span class="hop">
                <span class="muted small">hosting</span> {node.name}
              </span>
            </li>
            <li>
              <span class="hop">{w.name}</span>
            </li>
          </ol>
          <p class="muted small">
            {ms === undefined
              ? 'Measuring latency…'
              : ms === 'failed'
                ? `The node at ${node.address} did not answer from this browser.`
                : `Round trip from this browser to the node: ${Math.round(ms)} ms.`}{' '}
            Today the browser enters at the hosting node itself; when the mesh API lands, requests entering at
            another node and their hop latency will show here.
          </p>
        </>
      ) : (
        <p class="muted">Shown once the workspace is placed on a node.</p>
      )}
    </section>
  );
}
