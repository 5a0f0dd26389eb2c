// A second node's front for the benchmarks: an ingress that hosts nothing and forwards over the mesh to the host.
import { KeySet, Revocations, TokenVerifier } from '../../node/index.ts';
import {
  hostedRoute,
  startTestIngress,
  type startTestIssuer,
  type TestIngress,
} from '../../node/testing/index.ts';
import type { BenchNode } from './_bench-node.ts';

/** A verifier of the issuer's tokens, with the issuer's key set (as a node holds it). */
export async function issuerVerifier(
  issuer: Awaited<ReturnType<typeof startTestIssuer>>,
): Promise<TokenVerifier> {
  const keys = new KeySet(async () => (await fetch(`${issuer.url}/.well-known/jwks.json`)).json(), 60_000);
  await keys.refresh();
  return new TokenVerifier({
    keys,
    revocations: new Revocations(),
    issuer: () => issuer.issuer,
    cacheSize: 100_000,
    clockToleranceSec: 5,
  });
}

/** The ingress of the forwarded row, with a verifier of its own (as a second node has). */
export async function forwardingIngress(
  issuer: Awaited<ReturnType<typeof startTestIssuer>>,
  host: BenchNode,
): Promise<TestIngress> {
  const verifier = await issuerVerifier(issuer);
  // The bench's long runs: a production connect deadline, no early breaker.
  return startTestIngress({
    verifier,
    route: (id) => hostedRoute(host.nodeId, id, host.url),
    config: { connectTimeoutMs: 2_000, firstByteTimeoutMs: 10_000 },
  });
}
